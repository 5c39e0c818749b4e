namespace S3Slower.Aggregator.Statistics;

/// <summary>One latency distribution in milliseconds, as reports show it.</summary>
public sealed record DistributionSummary(
    long Count, double MinMs, double MeanMs, double MaxMs,
    double P50Ms, double P75Ms, double P90Ms, double P95Ms, double P99Ms, double P999Ms)
{
    public static DistributionSummary Of(LogLinearHistogram h) => h.Count == 0
        ? new DistributionSummary(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        : new DistributionSummary(
            h.Count, Ms(h.Min), Math.Round(h.Mean / 1e6, 6), Ms(h.Max),
            Ms(h.Percentile(0.50)), Ms(h.Percentile(0.75)), Ms(h.Percentile(0.90)),
            Ms(h.Percentile(0.95)), Ms(h.Percentile(0.99)), Ms(h.Percentile(0.999)));

    private static double Ms(long ns) => Math.Round(ns / 1e6, 6);
}
