using System.Text.Json;
using System.Text.RegularExpressions;

namespace S3Slower.Tests.Service;

public sealed class MonitoringTests
{
    private const string PromtoolHint = "the prometheus package (promtool)";

    /// <summary>What the aggregator exports (issue 2/6); dashboards and alerts may use nothing else.</summary>
    private static readonly HashSet<string> Counters =
    [
        "s3slower_requests_total", "s3slower_request_errors_total", "s3slower_request_bytes_total",
        "s3slower_response_bytes_total", "s3slower_partial_requests_total", "s3slower_s3_errors_total",
        "s3slower_events_received_total", "s3slower_events_lost_total", "s3slower_ipc_frames_rejected_total",
        "s3slower_ipc_peers_refused_total",
    ];

    private static readonly HashSet<string> Gauges = ["s3slower_collectors_connected"];

    private static readonly HashSet<string> Histograms = ["s3slower_request_duration_seconds", "s3slower_time_to_first_byte_seconds"];

    /// <summary>Synthesised by Prometheus itself for every target; only the alert rules may use it.</summary>
    private const string ScrapeUp = "up";

    private static string AlertsFile => Path.Combine(ServiceRepo.MonitoringDir, "s3slower-alerts.yml");

    private static string DashboardFile => Path.Combine(ServiceRepo.MonitoringDir, "s3slower-dashboard.json");

    [Fact]
    public void AlertRulesPassPromtool()
    {
        var run = ToolRun.Run("promtool", ["check", "rules", AlertsFile], PromtoolHint);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("SUCCESS", run.Output);
    }

    [Fact]
    public void AlertRulesBehaveOnSyntheticSeries()
    {
        var run = ToolRun.Run("promtool", ["test", "rules", Path.Combine(ServiceRepo.MonitoringDir, "s3slower-alerts.test.yml")], PromtoolHint);

        Assert.True(run.ExitCode == 0, run.Output);
    }

    [Fact]
    public void ExamplePrometheusConfigIsValid()
    {
        var run = ToolRun.Run("promtool", ["check", "config", Path.Combine(ServiceRepo.MonitoringDir, "prometheus.yml")], PromtoolHint);

        Assert.True(run.ExitCode == 0, run.Output);
    }

    [Fact]
    public void AlertRulesUseOnlyExportedMetrics()
    {
        var exprs = Regex.Matches(File.ReadAllText(AlertsFile), @"expr:\s*(\|\s*\n(?<block>(?:\s{10,}.*\n)+)|(?<line>.+))")
            .Select(m => m.Groups["block"].Success ? m.Groups["block"].Value : m.Groups["line"].Value)
            .ToList();

        Assert.True(exprs.Count >= 6, $"only {exprs.Count} alert expressions found");
        AssertOnlyKnownMetrics(exprs, allowUp: true);
        string all = string.Join('\n', exprs);
        Assert.Contains("error_code=\"SlowDown\"", all);
        Assert.Contains("s3slower_events_lost_total", all);
        Assert.Contains("s3slower_collectors_connected", all);
    }

    [Fact]
    public void DashboardParsesAndCoversTheIssue()
    {
        var exprs = DashboardExpressions();

        Assert.NotEmpty(exprs);
        AssertOnlyKnownMetrics(exprs, allowUp: false);
        string all = string.Join('\n', exprs);
        foreach (string needed in new[]
                 {
                     "s3slower_requests_total", "s3slower_request_errors_total", "s3slower_s3_errors_total",
                     "s3slower_request_duration_seconds_bucket", "s3slower_time_to_first_byte_seconds_bucket",
                     "s3slower_request_bytes_total", "s3slower_response_bytes_total", "s3slower_collectors_connected",
                     "s3slower_events_lost_total", "s3slower_ipc_frames_rejected_total", "histogram_quantile(0.99",
                     "histogram_quantile(0.95", "histogram_quantile(0.5", "by (comm)",
                 })
        {
            Assert.Contains(needed, all);
        }
    }

    [Fact]
    public void DashboardExpressionsAreValidPromQl()
    {
        // promtool has no "check expression"; recording rules make it parse each one.
        string rules = Path.Combine(Directory.CreateTempSubdirectory("s3slower-dash-").FullName, "dashboard-rules.yml");
        var lines = new List<string> { "groups:", "  - name: dashboard", "    rules:" };
        int i = 0;
        foreach (string expr in DashboardExpressions())
        {
            string concrete = Regex.Replace(expr.Replace("$__rate_interval", "5m", StringComparison.Ordinal), @"\$\w+", ".*");
            lines.Add($"      - record: dashboard:expr{i++}");
            lines.Add($"        expr: {JsonSerializer.Serialize(concrete)}");
        }

        File.WriteAllLines(rules, lines);
        try
        {
            var run = ToolRun.Run("promtool", ["check", "rules", rules], PromtoolHint);
            Assert.True(run.ExitCode == 0, run.Output);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(rules)!, recursive: true);
        }
    }

    [Fact]
    public void MetricNameCheckCatchesAnUnknownMetric()
    {
        var error = Assert.ThrowsAny<Exception>(() => AssertOnlyKnownMetrics(
            ["sum by (s3_operation) (rate(s3slower_request_total{comm=\"aws\"}[5m]))"], allowUp: false));

        Assert.Contains("s3slower_request_total", error.Message);
    }

    [Fact]
    public void MetricNameExtractionSkipsFunctionsLabelsAndVariables()
    {
        var names = PromQlMetricNames.Extract(
            "topk(10, histogram_quantile(0.99, sum by (comm, le) (rate(s3slower_request_duration_seconds_bucket{hostname=~\"$hostname\"}[$__rate_interval]))))"
            + " / on (comm) group_left s3slower_collectors_connected or vector(0)");

        Assert.Equal(["s3slower_collectors_connected", "s3slower_request_duration_seconds_bucket"], names.Order());
    }

    private static List<string> DashboardExpressions()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(DashboardFile));
        var exprs = new List<string>();
        foreach (var panel in doc.RootElement.GetProperty("panels").EnumerateArray())
        {
            if (panel.GetProperty("type").GetString() == "row")
            {
                continue;
            }

            string title = panel.GetProperty("title").GetString()!;
            Assert.True(panel.TryGetProperty("targets", out var targets) && targets.GetArrayLength() > 0, $"panel '{title}' has no query");
            exprs.AddRange(targets.EnumerateArray().Select(t => t.GetProperty("expr").GetString()!));
        }

        foreach (var variable in doc.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            if (variable.GetProperty("type").GetString() == "query")
            {
                string query = variable.GetProperty("definition").GetString()!;
                var inner = Regex.Match(query, @"^label_values\((?<sel>.+),\s*\w+\)$");
                Assert.True(inner.Success, $"variable query is not label_values(...): {query}");
                exprs.Add(inner.Groups["sel"].Value);
            }
        }

        return exprs;
    }

    private static void AssertOnlyKnownMetrics(IEnumerable<string> exprs, bool allowUp)
    {
        foreach (string expr in exprs)
        {
            var names = PromQlMetricNames.Extract(expr);
            Assert.True(names.Count > 0, $"no metric in: {expr}");
            foreach (string name in names)
            {
                string family = PromQlMetricNames.Family(name, Histograms);
                bool known = Counters.Contains(family) || Gauges.Contains(family) || (Histograms.Contains(family) && family != name)
                    || (allowUp && name == ScrapeUp);
                Assert.True(known, $"unknown metric '{name}' in: {expr}");
            }
        }
    }
}
