using System.Globalization;
using S3Slower.Bench.Infrastructure;
using S3Slower.Collector.Bpf;

namespace S3Slower.Bench.Overhead;

/// <summary>
/// Each workload runs untraced and traced in alternation (ABBA order across rounds, so drift favours neither side);
/// the ratio is mean traced throughput over mean untraced throughput. Traced runs are checked for loss: the
/// aggregator's s3slower_events_lost_total must not move and it must count every request the client completed. Every run
/// also reports the whole machine's CPU per request or operation, which moves less between identical runs than
/// throughput does on a shared VM. With <c>--bare</c> each round also runs the load under the bench's bare tracer
/// (<see cref="BareTracer"/>), the reference for what the hooks cost any tracer that reports each request.
/// </summary>
internal static class OverheadBenchmark
{
    /// <summary>Below one program run per hundred operations (the pipe loop runs none), there is nothing to correct.</summary>
    private const double MinRunsPerOperation = 0.01;

    private enum Arm
    {
        Untraced,
        Traced,

        /// <summary>The bare reporting tracer instead of the collector (<c>--bare</c>).</summary>
        Bare,
    }

    public static async Task<int> RunAsync(OverheadOptions options)
    {
        using var directory = new TempDirectory("s3sb-");
        await using var aggregator = await AggregatorHost.StartAsync(directory);
        string script = WrkRunner.WriteScript(directory.Path);
        var servers = new List<ChildProcess>();
        try
        {
            var workloads = new List<IWorkload>();
            var ports = new Dictionary<bool, int>(); // one responder per protocol, shared by the loads that use it
            async Task<int> ServerAsync(bool tls)
            {
                if (!ports.TryGetValue(tls, out int port))
                {
                    port = FreePort.Next();
                    servers.Add(await StartServerAsync(port, tls, directory.File($"server-{(tls ? "https" : "http")}.log")));
                    ports[tls] = port;
                }

                return port;
            }

            foreach (string name in options.Workloads)
            {
                switch (name)
                {
                    case "http" or "https":
                        WrkRunner.EnsureInstalled();
                        bool tls = name == "https";
                        var http = new HttpWorkload(tls, await ServerAsync(tls), script, options.Connections, options.Seconds);
                        Console.WriteLine($"{name}: {http.Command}  (server: s3slower-bench serve{(tls ? " --tls" : "")})");
                        workloads.Add(http);
                        break;
                    case "sdk":
                        var sdk = new SdkWorkload(await ServerAsync(tls: false), options.Connections, options.Seconds);
                        Console.WriteLine($"{name}: {sdk.Command}  (AWSSDK.S3 GetObject after a 1 s warm-up; server: s3slower-bench serve)");
                        workloads.Add(sdk);
                        break;
                    case "pipe" or "tcp":
                        string channel = name == "pipe" ? "a pipe" : "a loopback TCP connection";
                        Console.WriteLine($"{name}: s3slower-bench {name}-loop --seconds {options.Seconds} (64-byte write + read through {channel}, one thread)");
                        workloads.Add(new ByteLoopWorkload(name, options.Seconds));
                        break;
                    default:
                        throw new InvalidOperationException($"unknown workload '{name}' (http, sdk, https, pipe, tcp)");
                }
            }

            bool allOk = true;
            var summary = new List<string>();
            foreach (var workload in workloads)
            {
                var (ok, line) = await MeasureAsync(workload, aggregator, options, directory);
                allOk &= ok;
                summary.Add(line);
            }

            Console.WriteLine();
            Console.WriteLine($"load average after the runs: {MachineInfo.LoadAverage()}");
            summary.ForEach(Console.WriteLine);
            return allOk ? 0 : 1;
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    private static async Task<ChildProcess> StartServerAsync(int port, bool tls, string logPath)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this executable");
        List<string> arguments = ["serve", "--port", port.ToString(CultureInfo.InvariantCulture)];
        if (tls)
        {
            arguments.Add("--tls");
        }

        var server = ChildProcess.Start(self, arguments, logPath);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!server.Tail().Contains("listening", StringComparison.Ordinal))
        {
            if (server.HasExited || DateTime.UtcNow > deadline)
            {
                string tail = server.Tail();
                await server.DisposeAsync();
                throw new InvalidOperationException($"the load server did not start:\n{tail}");
            }

            await Task.Delay(50);
        }

        return server;
    }

    private static async Task<(bool Ok, string Summary)> MeasureAsync(IWorkload workload, AggregatorHost aggregator, OverheadOptions options, TempDirectory directory)
    {
        Arm[] arms = options.Bare ? [Arm.Untraced, Arm.Traced, Arm.Bare] : [Arm.Untraced, Arm.Traced];
        Console.WriteLine($"\n[{workload.Name}] {options.Rounds} rounds × ({string.Join(", ", arms.Select(a => a.ToString().ToLowerInvariant()))}), {options.Seconds} s each");
        _ = await workload.RunAsync(); // warm-up: JIT of the server, page cache, CPU frequency
        var untraced = new List<Measurement>();
        var traced = new List<Measurement>();
        var bare = new List<Measurement>();
        long clientRequests = 0;
        long counted = 0;
        double lost = 0;
        for (int round = 0; round < options.Rounds; round++)
        {
            foreach (var arm in Order(arms, round))
            {
                if (arm == Arm.Untraced)
                {
                    var m = await RunMeasuredAsync(workload);
                    untraced.Add(m);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {round + 1} untraced: {m.Rate,12:N0} {workload.Unit}; {MachineCpuText(m, workload)}"));
                    continue;
                }

                if (arm == Arm.Bare)
                {
                    var m = await RunBareAsync(workload);
                    bare.Add(m.Run);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {round + 1} bare:     {m.Run.Rate,12:N0} {workload.Unit}; {m.Records:N0} records; {MachineCpuText(m.Run, workload)}"));
                    continue;
                }

                var collector = await CollectorHost.StartAsync(aggregator, directory.File($"collector-{workload.Name}-{round}.log"));

                // The collector is a long-running agent: what matters is its steady state, not the seconds its JIT
                // takes after start (measured at about twice the CPU per request), so it traces one untimed run first.
                _ = await workload.RunAsync();
                await Task.Delay(TimeSpan.FromSeconds(2)); // the warm-up's last requests are reported before counting starts
                var before = await SettledCountsAsync(aggregator, workload.Comm);
                Measurement run;
                var collectorCpu = ProcessCpu.Used(collector.Pid);
                var aggregatorCpu = ProcessCpu.Used(aggregator.Process.Pid);
                long? collectorFaults = ProcessCpu.MinorFaults(collector.Pid);
                string cpu = "";
                try
                {
                    run = await RunMeasuredAsync(workload);
                    cpu = CpuLine(collectorCpu, ProcessCpu.Used(collector.Pid), aggregatorCpu, ProcessCpu.Used(aggregator.Process.Pid), options.Seconds, run.Requests)
                        + FaultsText(collectorFaults, ProcessCpu.MinorFaults(collector.Pid), run.Requests) + "; " + MachineCpuText(run, workload);
                }
                finally
                {
                    await StopCollectorAsync(collector);
                }

                var after = await SettledCountsAsync(aggregator, workload.Comm);
                long requests = (long)(after.Requests - before.Requests);
                traced.Add(run);
                lost += after.Lost - before.Lost;
                counted += requests;
                clientRequests += run.Requests ?? 0;
                string check = workload.ProducesRequests
                    ? FormattableString.Invariant($"; the client completed {run.Requests:N0}, aggregator counted {requests:N0} (comm={workload.Comm}), lost {after.Lost - before.Lost:N0}")
                    : FormattableString.Invariant($"; aggregator counted {requests:N0} S3 requests of comm={workload.Comm} (expected 0), lost {after.Lost - before.Lost:N0}");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {round + 1} traced:   {run.Rate,12:N0} {workload.Unit}{check}"));
                Console.WriteLine($"    {cpu}");
            }
        }

        string kernel = await KernelRunAsync(workload, aggregator, directory);
        double untracedRate = untraced.Average(m => m.Rate), tracedRate = traced.Average(m => m.Rate);
        double ratio = untracedRate > 0 ? tracedRate / untracedRate : 0;
        string bareText = bare.Count > 0 && untracedRate > 0
            ? string.Create(CultureInfo.InvariantCulture, $"; bare tracer/untraced = {bare.Average(m => m.Rate) / untracedRate:P1} ({bare.Average(m => m.Rate):N0} {workload.Unit})")
            : "";
        // A request in flight when wrk stops is written (and seen) but not counted by wrk, so counted may exceed its count by up to one per connection per round.
        bool complete = workload.ProducesRequests
            ? counted >= clientRequests && counted <= clientRequests + (long)options.Connections * options.Rounds
            : counted == 0;
        bool met = workload.Target is not { } target || ratio >= target;
        string counts = workload.ProducesRequests
            ? FormattableString.Invariant($"requests made {clientRequests:N0} / counted {counted:N0}: {(complete ? "OK" : "MISMATCH")}")
            : FormattableString.Invariant($"S3 requests counted {counted:N0}: {(complete ? "OK" : "UNEXPECTED")}");
        string line = string.Create(CultureInfo.InvariantCulture,
            $"RESULT {workload.Name,-5}: traced/untraced = {ratio:P1} (untraced {untracedRate:N0}, traced {tracedRate:N0} {workload.Unit}; {TargetText(workload.Target, met)}){bareText}; events lost {lost:N0}; {counts}; eBPF {kernel}; {MachineCpuSummary(untraced, traced, workload)}");
        Console.WriteLine(line);
        return (met && complete && lost == 0, line);
    }

    /// <summary>
    /// One more traced run, with the kernel's BPF statistics on (they slow every program run a little, so no ratio
    /// uses this run): the CPU the collector's programs spent per request or operation, inside the traced processes.
    /// Empty programs on the same hooks measure in the same run what the statistics add to each program run (their
    /// clock reads), which is taken off for the net figure.
    /// </summary>
    private static async Task<string> KernelRunAsync(IWorkload workload, AggregatorHost aggregator, TempDirectory directory)
    {
        var collector = await CollectorHost.StartAsync(aggregator, directory.File($"collector-{workload.Name}-bpf-stats.log"));
        BareTracer? empty = null;
        try
        {
            _ = await workload.RunAsync();
            empty = BareTracer.Attach(BareTracerKind.Empty);
            using var stats = KernelProgramStats.Enable();
            var before = await KernelProgramStats.SnapshotAsync();
            var run = await workload.RunAsync();
            var after = await KernelProgramStats.SnapshotAsync();
            double operations = run.Operations(workload.Seconds);
            if (operations <= 0)
            {
                Console.WriteLine("  eBPF programs: the statistics run did no operations");
                return "unavailable";
            }

            var (nanoseconds, runs, detail) = KernelProgramStats.Describe(before, after, operations);
            string cost = string.Create(CultureInfo.InvariantCulture, $"{nanoseconds:N0} ns per {Per(workload)}");
            if (runs >= MinRunsPerOperation && KernelProgramStats.NsPerRun(before, after, BareTracer.EmptyPrefix) is { } statsPerRun)
            {
                cost += string.Create(CultureInfo.InvariantCulture,
                    $" measured, ~{Math.Max(0, nanoseconds - (runs * statsPerRun)):N0} ns net of the statistics' own {statsPerRun:N0} ns per run");
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  eBPF programs (one more traced run, BPF statistics on, {run.Rate:N0} {workload.Unit}): {cost} ({detail})"));
            return cost;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.ComponentModel.Win32Exception or DllNotFoundException or BpfException)
        {
            // The figure is an addition to the ratio: without bpftool or libbpf the bench still reports the rest.
            Console.WriteLine($"  eBPF programs: statistics unavailable ({ex.Message})");
            return "unavailable";
        }
        finally
        {
            empty?.Dispose();
            await StopCollectorAsync(collector);
        }
    }

    /// <summary>One run with the bare reporting tracer attached instead of the collector, and the records it read.</summary>
    private static async Task<(Measurement Run, long Records)> RunBareAsync(IWorkload workload)
    {
        var tracer = BareTracer.Attach(BareTracerKind.Reporting);
        Measurement run;
        try
        {
            run = await RunMeasuredAsync(workload);
        }
        finally
        {
            tracer.Dispose(); // drains the ring's last records
        }

        return (run, tracer.Records);
    }

    /// <summary>
    /// The order of the arms in a round: with two, ABBA across rounds; with three, each round starts one further
    /// along. Either way no arm always runs first, so a drift of the machine's speed favours none of them.
    /// </summary>
    private static IEnumerable<Arm> Order(Arm[] arms, int round) =>
        arms.Length == 2
            ? (round % 2 == 1 ? arms.Reverse() : arms)
            : arms.Skip(round % arms.Length).Concat(arms.Take(round % arms.Length));

    /// <summary>
    /// One run, with the busy time of all cores around it: on a machine the load saturates, throughput follows this
    /// figure, and it moves less than throughput between identical runs.
    /// </summary>
    private static async Task<Measurement> RunMeasuredAsync(IWorkload workload)
    {
        var before = MachineCpu.Busy();
        var run = await workload.RunAsync();
        var after = MachineCpu.Busy();
        double operations = run.Operations(workload.Seconds);
        return before is { } b && after is { } a && operations > 0
            ? run with { MachineMicrosecondsPerOperation = (a - b).TotalMicroseconds / operations }
            : run;
    }

    private static string MachineCpuText(Measurement run, IWorkload workload) =>
        run.MachineMicrosecondsPerOperation is { } us
            ? string.Create(CultureInfo.InvariantCulture, $"whole machine {us:N2} µs of CPU per {Per(workload)}")
            : "whole machine CPU unavailable";

    private static string MachineCpuSummary(List<Measurement> untraced, List<Measurement> traced, IWorkload workload)
    {
        if (untraced.Count == 0 || traced.Count == 0 || untraced.Concat(traced).Any(m => m.MachineMicrosecondsPerOperation is null))
        {
            return "whole machine CPU unavailable";
        }

        double u = untraced.Average(m => m.MachineMicrosecondsPerOperation!.Value), t = traced.Average(m => m.MachineMicrosecondsPerOperation!.Value);
        return string.Create(CultureInfo.InvariantCulture,
            $"whole machine CPU per {Per(workload)} untraced {u:N2} µs, traced {t:N2} µs ({t - u:+#,0.00;-#,0.00;0.00} µs, untraced/traced {u / t:P1})");
    }

    private static string TargetText(double? target, bool met) =>
        target is { } t ? string.Create(CultureInfo.InvariantCulture, $"target ≥ {t:P0}: {(met ? "MET" : "NOT MET")}") : "no target: for information";

    private static string Per(IWorkload workload) => workload.ProducesRequests ? "request" : "operation";

    private static async Task StopCollectorAsync(ChildProcess collector)
    {
        // SIGTERM: the collector flushes in-flight requests and waits for the aggregator's ack before exiting.
        int exit = await collector.StopAsync(TimeSpan.FromSeconds(30));
        if (exit != 0)
        {
            Console.WriteLine($"    collector exited with {exit}{(exit == 143 ? " (= died of SIGTERM instead of draining)" : "")}; log tail: {collector.Tail(3).ReplaceLineEndings(" | ")}");
        }

        await collector.DisposeAsync();
    }

    /// <summary>
    /// What tracing cost in CPU during the run: on 2 cores this comes straight out of the load's throughput. Per request
    /// too, which is the figure that does not depend on how fast the load ran.
    /// </summary>
    private static string CpuLine(TimeSpan? collectorBefore, TimeSpan? collectorAfter, TimeSpan? aggregatorBefore, TimeSpan? aggregatorAfter, int seconds, long? requests)
    {
        if (collectorBefore is not { } cb || collectorAfter is not { } ca || aggregatorBefore is not { } ab || aggregatorAfter is not { } aa)
        {
            return "(CPU time unavailable)";
        }

        var collector = ca - cb;
        var aggregator = aa - ab;
        string perRequest = requests is > 0
            ? string.Create(CultureInfo.InvariantCulture,
                $"; per request {collector.TotalMicroseconds / requests.Value:F1} µs and {aggregator.TotalMicroseconds / requests.Value:F1} µs")
            : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"CPU during the run: collector {collector.TotalSeconds / seconds:P1} of one core, aggregator {aggregator.TotalSeconds / seconds:P1} of one core{perRequest}");
    }

    private static string FaultsText(long? before, long? after, long? requests) =>
        before is { } b && after is { } a && requests is > 0
            ? string.Create(CultureInfo.InvariantCulture, $"; collector page faults {(a - b) * 1000.0 / requests.Value:F1} per 1,000 requests")
            : "";

    private static async Task<(double Requests, double Lost)> CountsAsync(AggregatorHost aggregator, string comm)
    {
        string text = await aggregator.Scraper.TryScrapeAsync(CancellationToken.None)
            ?? throw new InvalidOperationException($"the aggregator's /metrics did not answer:\n{aggregator.Process.Tail()}");
        return (PrometheusText.Sum(text, "s3slower_requests_total", $"comm=\"{comm}\"") ?? 0, PrometheusText.Sum(text, "s3slower_events_lost_total") ?? 0);
    }

    /// <summary>The collector has drained when it exits, but the metrics may trail the ack; wait for two equal scrapes.</summary>
    private static async Task<(double Requests, double Lost)> SettledCountsAsync(AggregatorHost aggregator, string comm)
    {
        var last = await CountsAsync(aggregator, comm);
        for (int i = 0; i < 20; i++)
        {
            await Task.Delay(250);
            var now = await CountsAsync(aggregator, comm);
            if (now == last)
            {
                return now;
            }

            last = now;
        }

        return last;
    }
}
