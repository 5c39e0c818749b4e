using System.CommandLine;
using S3Slower.Aggregator.Output;
using S3Slower.Aggregator.Statistics;

namespace S3Slower.Aggregator.Cli;

/// <summary><c>export --input DIR|operations.jsonl --format json|csv [--output-dir DIR]</c>: rebuilds the reports offline.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var input = new Option<string>("--input") { Description = "operations.jsonl, or the output directory holding it", Required = true };
        var format = new Option<string[]>("--format") { Description = "json, csv, or both (repeatable or comma list; default json)" };
        var outputDir = new Option<string?>("--output-dir") { Description = "where to write (default: next to the input)" };
        var bucketLabels = new Option<bool>("--bucket-labels") { Description = "group by bucket too" };
        var command = new Command("export", "Rebuild aggregated.json / aggregated.csv / operations.csv from an operations.jsonl log")
        {
            input, format, outputDir, bucketLabels,
        };
        command.Validators.Add(result =>
        {
            foreach (string f in (result.GetValue(format) ?? []).SelectMany(f => f.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
            {
                if (f is not ("json" or "csv"))
                {
                    result.AddError($"--format: '{f}' is not json or csv");
                }
            }
        });
        command.SetAction(result =>
        {
            string path = result.GetValue(input)!;
            if (Directory.Exists(path))
            {
                path = Path.Combine(path, OperationsLog.FileName);
            }

            if (!File.Exists(path))
            {
                result.InvocationConfiguration.Error.WriteLine($"export: no such file: {path}");
                return 2;
            }

            var formats = (result.GetValue(format) is { Length: > 0 } given ? given : ["json"])
                .SelectMany(f => f.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToHashSet();
            string dir = result.GetValue(outputDir) ?? Path.GetDirectoryName(Path.GetFullPath(path))!;
            return Run(path, dir, formats.Contains("json"), formats.Contains("csv"), result.GetValue(bucketLabels), result.InvocationConfiguration.Output);
        });
        return command;
    }

    internal static int Run(string path, string dir, bool json, bool csv, bool bucketLabels, TextWriter output)
    {
        var stats = new StatsStore();
        var reader = new OperationsLogReader();
        var collectors = new SortedSet<string>(StringComparer.Ordinal);
        DateTimeOffset? first = null, last = null;
        long records = 0;
        lock (stats.Lock)
        {
            foreach (var r in reader.Read(path))
            {
                records++;
                collectors.Add(r.CollectorId);
                if (DateTimeOffset.TryParse(r.Time, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t))
                {
                    first = first is null || t < first ? t : first;
                    last = last is null || t > last ? t : last;
                }

                var timing = new RequestTiming(Ns(r.TotalMs), Ns(r.TtfbMs), Ns(r.UploadMs), Ns(r.ServerMs), Ns(r.DownloadMs));
                var key = new StatsKey(r.Hostname, r.Comm, r.Operation, r.Method, StatsKey.ClassOf(r.Status), bucketLabels ? r.Bucket : null);
                stats.Record(key, r.Status, r.RequestBytes, r.ResponseBytes, timing);
            }
        }

        var report = ReportBuilder.Build(stats.Snapshot(), first ?? DateTimeOffset.UnixEpoch, last ?? DateTimeOffset.UnixEpoch, [.. collectors],
            new Dictionary<string, string> { ["input"] = Path.GetFullPath(path), ["bucket_labels"] = bucketLabels ? "true" : "false" });
        output.WriteLine($"{records} records read from {path}" + (reader.SkippedLines > 0 ? $", {reader.SkippedLines} unreadable lines skipped" : ""));
        if (json)
        {
            output.WriteLine($"wrote {ReportFiles.WriteJson(report, dir)}");
        }

        if (csv)
        {
            output.WriteLine($"wrote {ReportFiles.WriteAggregatedCsv(report, dir)}");
            long rows = ReportFiles.WriteOperationsCsv(new OperationsLogReader().Read(path), dir);
            output.WriteLine($"wrote {rows} rows to {Path.Combine(dir, ReportFiles.OperationsCsv)}");
        }

        return 0;
    }

    private static long Ns(double ms) => double.IsFinite(ms) && ms > 0 ? (long)Math.Round(ms * 1e6) : 0;
}
