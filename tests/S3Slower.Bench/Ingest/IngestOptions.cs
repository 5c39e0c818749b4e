namespace S3Slower.Bench.Ingest;

internal sealed record IngestOptions(int Collectors, long Events, bool NaiveJson, bool PerfMap);
