using System.Globalization;
using System.Text;

namespace S3Slower.EndToEnd.Infrastructure;

/// <summary>
/// Pairs what a client did with what S3Slower reported and lists every disagreement. A client request pairs with
/// the traced record carrying its x-amz-request-id (every s3rver response has a unique one); if the tracer lost the
/// id, with the earliest unpaired record of the same pid, method, key, status and part number.
/// </summary>
public static class TraceMatcher
{
    /// <summary>Timing agreement: max(2 %, 200 µs) of the client-measured duration.</summary>
    public const double RelativeTolerance = 0.02;
    public const double AbsoluteToleranceUs = 200;

    /// <summary>Share of a run's requests whose client clock may have been preempted (see <see cref="CompareTiming"/>).</summary>
    public const double PreemptedShare = 0.25;
    public const double PreemptedRelativeBound = 0.10;
    public const double PreemptedAbsoluteBoundUs = 1000;

    private const long LargeBodyBytes = 64 * 1024;

    /// <summary>
    /// Every disagreement, split into what the trace got wrong about the request (reported, fields, bytes) and how its
    /// total time compares with the client's clock (<see cref="CompareTiming"/>).
    /// </summary>
    public static (List<string> Fields, List<string> Timing) FindProblems(ScenarioRun run, IReadOnlyList<TracedOperation> traced, bool checkTiming = true)
    {
        var problems = new List<string>();
        var unpaired = traced.OrderBy(t => t.StartTime).ThenBy(t => t.Seq).ToList();
        var pairs = new List<(ClientExchange Client, TracedOperation Traced)>();
        var missing = new List<ClientExchange>();
        foreach (var exchange in run.Exchanges)
        {
            var match = unpaired.FirstOrDefault(t => !string.IsNullOrEmpty(exchange.RequestId) && t.RequestId == exchange.RequestId)
                ?? unpaired.FirstOrDefault(t => SameRequest(exchange, t));
            if (match is null)
            {
                missing.Add(exchange);
                continue;
            }

            unpaired.Remove(match);
            pairs.Add((exchange, match));
        }

        foreach (var exchange in missing)
        {
            problems.Add($"NOT REPORTED: {exchange}");
        }

        foreach (var extra in unpaired)
        {
            problems.Add($"REPORTED BUT NOT MADE (or reported twice): {extra}");
        }

        var firstOfProcess = run.Exchanges.GroupBy(e => e.Pid).Select(g => g.First()).ToHashSet();
        var timed = new List<(ClientExchange Client, TracedOperation Traced)>();
        foreach (var (client, t) in pairs)
        {
            // The first request of a JIT-compiled client (.NET, Node) runs the client's own timing hooks and the
            // runtime's send path cold: compiling them happens after the client read its clock and before the first
            // byte reaches the kernel (1-2 ms here). Its fields are checked, its client clock is not trusted.
            bool coldClientClock = run.Client.JitCompiled && firstOfProcess.Contains(client);

            // Node over TLS: the client's earliest hook is the TLSWrap handle's write, and for a request written as
            // several buffers (headers + a large body) TLSWrap first copies them into one buffer and only then calls
            // SSL_write, where the tracer's first edge is. Measured: 0.5-1.1 ms for a 1 MiB body, i.e. 2-4 %. That
            // copy is the client's own work before any byte reaches TLS; the client clock cannot exclude it.
            bool clientCopiesBeforeTls = run.Client.Name == "node" && run.Tls && client.RequestBytes >= LargeBodyBytes;
            coldClientClock |= clientCopiesBeforeTls;
            bool timeIt = checkTiming && !coldClientClock;
            problems.AddRange(Compare(run, client, t, timeIt).Select(p => $"{client.Operation} {client.Method} {client.Key} (pid {client.Pid}): {p}"));
            if (timeIt && client.DurationUs is not null)
            {
                timed.Add((client, t));
            }
        }

        return (problems, [.. CompareTiming(timed)]);
    }

    public static string Report(ScenarioRun run, IReadOnlyList<TracedOperation> traced, IReadOnlyList<string> problems)
    {
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"{run.Client.Name} over {(run.Tls ? "HTTPS" : "HTTP")}: {problems.Count} problem(s) " +
            $"with {run.Exchanges.Count} client requests and {traced.Count} traced records for pids {string.Join(",", run.Pids)}:");
        foreach (var problem in problems)
        {
            report.AppendLine("  " + problem);
        }

        return report.ToString();
    }

    private static bool SameRequest(ClientExchange c, TracedOperation t) =>
        c.Pid == t.Pid && c.Method == t.Method && NullIfEmpty(c.Key) == NullIfEmpty(t.Key) && c.Status == t.Status && c.PartNumber == t.PartNumber;

    private static IEnumerable<string> Compare(ScenarioRun run, ClientExchange c, TracedOperation t, bool checkTiming)
    {
        if (t.Operation != c.Operation)
        {
            yield return $"operation {t.Operation}, client made {c.Operation}";
        }

        if (t.Method != c.Method)
        {
            yield return $"method {t.Method}, client sent {c.Method}";
        }

        if (t.Bucket != run.Bucket)
        {
            yield return $"bucket '{t.Bucket}', expected '{run.Bucket}'";
        }

        if (NullIfEmpty(t.Key) != NullIfEmpty(c.Key))
        {
            yield return $"key '{t.Key}', expected '{c.Key}'";
        }

        if (t.PartNumber != c.PartNumber)
        {
            yield return $"part_number {t.PartNumber}, expected {c.PartNumber}";
        }

        if (t.Status != c.Status)
        {
            yield return $"status {t.Status}, client got {c.Status}";
        }

        if (NullIfEmpty(t.ErrorCode) != NullIfEmpty(c.ErrorCode))
        {
            yield return $"error_code '{t.ErrorCode}', client got '{c.ErrorCode}'";
        }

        if (string.IsNullOrEmpty(t.RequestId))
        {
            yield return "request_id empty";
        }
        else if (t.RequestId != c.RequestId)
        {
            yield return $"request_id {t.RequestId}, response had {c.RequestId}";
        }

        if (t.Tls != run.Tls)
        {
            yield return $"tls {t.Tls}, expected {run.Tls}";
        }

        if (t.Pid != c.Pid)
        {
            yield return $"pid {t.Pid}, client pid {c.Pid}";
        }

        if (t.Comm != run.Client.ProcessName)
        {
            yield return $"comm '{t.Comm}', the client process is '{run.Client.ProcessName}'";
        }

        if (t.RequestBytes != c.RequestBytes)
        {
            yield return $"request_bytes {t.RequestBytes}, client sent {c.RequestBytes}";
        }

        if (c.ResponseBytes is long responseBytes && t.ResponseBytes != responseBytes)
        {
            yield return $"response_bytes {t.ResponseBytes}, client received {responseBytes}";
        }

        if (ScenarioPlan.BodyBytes(c.Operation ?? "", c.Key, c.PartNumber) is long size && c.Status == 200)
        {
            var moved = c.Method == "GET" ? t.ResponseBytes : t.RequestBytes;
            if (moved != size)
            {
                yield return $"{(c.Method == "GET" ? "response" : "request")}_bytes {moved}, object size {size}";
            }
        }

        if (t.TtfbMs > t.TotalMs)
        {
            yield return $"ttfb_ms {t.TtfbMs} exceeds total_ms {t.TotalMs}";
        }

        if (checkTiming && c.DurationUs is null)
        {
            yield return "client recorded no duration";
        }
    }

    /// <summary>
    /// The traced total against the client's own clock. Every pair must agree within max(2 %, 200 µs), except that a
    /// client's user-space stamps are taken after the syscalls they stand for, and on a loaded 2-core machine the
    /// client is sometimes preempted in between, in either direction: a late end stamp makes the client's duration
    /// longer, a late start stamp shorter (measured in CI runs: client 275 µs longer than the trace; client 445 and
    /// 776 µs shorter, both in one run of 16 HTTPS curl requests). A wrong tracer is wrong for most requests, so at most
    /// <see cref="PreemptedShare"/> of a run's requests (at least one) may be off by more, and never by more than
    /// max(10 %, 1 ms): a tracer that missed a phase is off by far more than that.
    /// </summary>
    private static IEnumerable<string> CompareTiming(List<(ClientExchange Client, TracedOperation Traced)> timed)
    {
        var strictMisses = new List<string>();
        foreach (var (c, t) in timed)
        {
            double clientUs = c.DurationUs!.Value;
            double tracedUs = t.TotalMs * 1000;
            double tolerance = Math.Max(RelativeTolerance * clientUs, AbsoluteToleranceUs);
            double off = tracedUs - clientUs;
            if (Math.Abs(off) <= tolerance)
            {
                continue;
            }

            string what = string.Create(CultureInfo.InvariantCulture,
                $"{c.Operation} {c.Method} {c.Key} (pid {c.Pid}): total {tracedUs:F1} µs vs client {clientUs:F1} µs: off by {off:F1} µs, tolerance {tolerance:F1} µs (flags [{string.Join(",", t.Flags ?? [])}], new connection {c.NewConnection})");
            double outer = Math.Max(PreemptedRelativeBound * clientUs, PreemptedAbsoluteBoundUs);
            if (Math.Abs(off) > outer)
            {
                yield return what + string.Create(CultureInfo.InvariantCulture, $"; beyond even the preemption bound {outer:F1} µs");
            }
            else
            {
                strictMisses.Add(what);
            }
        }

        int allowed = Math.Max(1, (int)(timed.Count * PreemptedShare));
        if (strictMisses.Count > allowed)
        {
            foreach (string miss in strictMisses)
            {
                yield return miss + $" ({strictMisses.Count} requests outside the tolerance, at most {allowed} allowed)";
            }
        }
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
