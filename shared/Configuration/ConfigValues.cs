namespace S3Slower.Shared.Configuration;

/// <summary>Parsing of the setting values that flags and the YAML file share, with one wording of the errors.</summary>
public static class ConfigValues
{
    public const string DriverNames = "screen, prometheus, jsonl, json, csv";

    /// <summary>Parses driver names; each item may itself be a comma list (<c>-d screen,jsonl</c>).</summary>
    public static OutputDrivers ParseDrivers(IEnumerable<string> items, string key, int? line = null)
    {
        var drivers = OutputDrivers.None;
        foreach (string item in items)
        {
            foreach (string part in item.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                drivers |= part.ToUpperInvariant() switch
                {
                    "SCREEN" => OutputDrivers.Screen,
                    "PROMETHEUS" => OutputDrivers.Prometheus,
                    "JSONL" => OutputDrivers.Jsonl,
                    "JSON" => OutputDrivers.Json,
                    "CSV" => OutputDrivers.Csv,
                    _ => throw new ConfigException(key, line, $"unknown driver '{part}' (expected {DriverNames})"),
                };
            }
        }

        if (drivers == OutputDrivers.None)
        {
            throw new ConfigException(key, line, $"no driver given (expected {DriverNames})");
        }

        return drivers;
    }

    public static KeyRedaction ParseRedaction(string text, string key, int? line = null) =>
        text.Trim().ToUpperInvariant() switch
        {
            "NONE" => KeyRedaction.None,
            "HASH" => KeyRedaction.Hash,
            "DROP" => KeyRedaction.Drop,
            _ => throw new ConfigException(key, line, $"'{text}' is not one of none, hash, drop"),
        };

    public static ListenEndpoint ParseListen(string text, string key, int? line = null) =>
        ListenEndpoint.TryParse(text, out var endpoint, out string? error)
            ? endpoint!
            : throw new ConfigException(key, line, error!);

    public static double CheckInterval(double seconds, string key, int? line = null) =>
        double.IsFinite(seconds) && seconds is >= 0.1 and <= 86_400
            ? seconds
            : throw new ConfigException(key, line, $"{seconds} is not a number of seconds in 0.1..86400");

    public static double CheckMinLatency(double ms, string key, int? line = null) =>
        double.IsFinite(ms) && ms >= 0 ? ms : throw new ConfigException(key, line, $"{ms} is not a latency >= 0 ms");

    public static double CheckDuration(double seconds, string key, int? line = null) =>
        double.IsFinite(seconds) && seconds > 0 ? seconds : throw new ConfigException(key, line, $"{seconds} is not a duration > 0 s");

    public static int CheckMaxSeries(int value, string key, int? line = null) =>
        value is >= 1 and <= 10_000_000 ? value : throw new ConfigException(key, line, $"{value} is not in 1..10000000");

    public static int CheckPid(int pid, string key, int? line = null) =>
        pid > 0 ? pid : throw new ConfigException(key, line, $"{pid} is not a process id");

    public static string CheckSuffix(string suffix, string key, int? line = null)
    {
        string s = suffix.Trim().TrimStart('.').ToLowerInvariant();
        return s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-')
            ? s
            : throw new ConfigException(key, line, $"'{suffix}' is not a host name suffix");
    }

    public static string CheckComm(string comm, string key, int? line = null) =>
        comm.Length is > 0 and <= 15 ? comm : throw new ConfigException(key, line, $"'{comm}' is not a process name of 1..15 characters");
}
