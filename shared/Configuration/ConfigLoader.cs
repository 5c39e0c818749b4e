using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace S3Slower.Shared.Configuration;

/// <summary>
/// Reads the YAML configuration (legacy keys plus the new ones). Unknown keys and bad values are errors that name
/// the key and line: a typo must not silently fall back to a default on a production host.
/// </summary>
public static class ConfigLoader
{
    public static S3SlowerConfig LoadFile(string path, S3SlowerConfig? defaults = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"cannot read config file {path}: {ex.Message}", ex);
        }

        return Parse(text, path, defaults);
    }

    public static S3SlowerConfig Parse(string yaml, string sourceName = "config", S3SlowerConfig? defaults = null)
    {
        var config = defaults ?? new S3SlowerConfig();
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new ConfigException($"{sourceName} (line {ex.Start.Line}): not valid YAML: {ex.Message}", ex);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return config;
        }

        if (stream.Documents.Count > 1)
        {
            throw new ConfigException($"{sourceName}: holds {stream.Documents.Count} YAML documents; expected one");
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new ConfigException("(top level)", Line(stream.Documents[0].RootNode), "expected a mapping of keys to values");
        }

        try
        {
            return Apply(root, config);
        }
        catch (ConfigException ex) when (ex.Key is not null)
        {
            throw new ConfigException($"{sourceName}: {ex.Message}", ex);
        }
    }

    private static S3SlowerConfig Apply(YamlMappingNode root, S3SlowerConfig config)
    {
        string? promHost = null;
        int? promPort = null;
        int? promLine = null;
        foreach (var (keyNode, value) in root.Children)
        {
            string key = KeyName(keyNode, "");
            int? line = Line(keyNode);
            switch (key)
            {
                case "interval":
                    config = config with { IntervalSeconds = ConfigValues.CheckInterval(Double(value, key), key, line) };
                    break;
                case "min_latency_ms":
                    config = config with { MinLatencyMs = ConfigValues.CheckMinLatency(Double(value, key), key, line) };
                    break;
                case "debug":
                    config = config with { Debug = Bool(value, key) };
                    break;
                case "pid":
                    config = config with { Pids = List(value, key).Select(n => ConfigValues.CheckPid(Int(n, key), key, Line(n))).ToArray() };
                    break;
                case "comm":
                    config = config with { Comms = List(value, key).Select(n => ConfigValues.CheckComm(String(n, key), key, Line(n))).ToArray() };
                    break;
                case "driver":
                    config = config with { Drivers = ConfigValues.ParseDrivers(List(value, key).Select(n => String(n, key)), key, line) };
                    break;
                case "output_dir":
                    config = config with { OutputDir = NonEmpty(value, key) };
                    break;
                case "listen":
                    config = config with { Listen = ConfigValues.ParseListen(String(value, key), key, Line(value)) };
                    break;
                case "socket":
                    config = config with { SocketPath = NonEmpty(value, key) };
                    break;
                case "allowed_group":
                    config = config with { AllowedGroup = NonEmpty(value, key) };
                    break;
                case "bucket_labels":
                    config = config with { BucketLabels = Bool(value, key) };
                    break;
                case "redact_keys":
                    config = config with { RedactKeys = ConfigValues.ParseRedaction(String(value, key), key, Line(value)) };
                    break;
                case "endpoint_suffixes":
                    config = config with { EndpointSuffixes = List(value, key).Select(n => ConfigValues.CheckSuffix(String(n, key), key, Line(n))).ToArray() };
                    break;
                case "max_series":
                    config = config with { MaxSeries = ConfigValues.CheckMaxSeries(Int(value, key), key, Line(value)) };
                    break;
                case "duration":
                    config = config with { DurationSeconds = ConfigValues.CheckDuration(Double(value, key), key, Line(value)) };
                    break;
                case "prometheus":
                    foreach (var (subKeyNode, subValue) in Mapping(value, key).Children)
                    {
                        string sub = KeyName(subKeyNode, "prometheus.");
                        switch (sub)
                        {
                            case "prom_exporter_host":
                                promHost = String(subValue, "prometheus." + sub);
                                promLine ??= Line(subValue);
                                break;
                            case "prom_exporter_port":
                                promPort = Int(subValue, "prometheus." + sub);
                                promLine = Line(subValue);
                                break;
                            case "buffer_size":
                                // Legacy: sized the Python exporter's queue. Accepted so old files load; nothing to size here.
                                _ = Int(subValue, "prometheus." + sub);
                                break;
                            default:
                                throw Unknown("prometheus." + sub, subKeyNode, "prom_exporter_host, prom_exporter_port, buffer_size");
                        }
                    }

                    break;
                case "screen":
                    if (value is YamlScalarNode { Value: null or "" or "~" or "null" })
                    {
                        break;
                    }

                    foreach (var (subKeyNode, subValue) in Mapping(value, key).Children)
                    {
                        string sub = KeyName(subKeyNode, "screen.");
                        config = sub switch
                        {
                            "table_format" => config with { ScreenTableFormat = Bool(subValue, "screen." + sub) },
                            _ => throw Unknown("screen." + sub, subKeyNode, "table_format"),
                        };
                    }

                    break;
                default:
                    throw Unknown(key, keyNode,
                        "interval, min_latency_ms, debug, pid, comm, driver, output_dir, listen, socket, allowed_group, "
                        + "bucket_labels, redact_keys, endpoint_suffixes, max_series, duration, prometheus, screen");
            }
        }

        if (promHost is not null || promPort is not null)
        {
            // The legacy exporter's host/port pair is the bind address; a missing half keeps the current one.
            string host = promHost ?? config.Listen.Host;
            if (!ListenEndpoint.TryFromHostPort(host, promPort ?? config.Listen.Port, out var endpoint, out string? error))
            {
                throw new ConfigException(promPort is not null ? "prometheus.prom_exporter_port" : "prometheus.prom_exporter_host", promLine, error!);
            }

            config = config with { Listen = endpoint! };
        }

        return config;
    }

    private static ConfigException Unknown(string key, YamlNode node, string known) =>
        new(key, Line(node), $"unknown key (known here: {known})");

    private static int? Line(YamlNode node) => node.Start.Line > 0 ? (int)node.Start.Line : null;

    private static string KeyName(YamlNode node, string prefix) =>
        node is YamlScalarNode { Value: { } v } ? v : throw new ConfigException(prefix + "?", Line(node), "keys must be plain strings");

    private static YamlMappingNode Mapping(YamlNode node, string key) =>
        node as YamlMappingNode ?? throw new ConfigException(key, Line(node), "expected a mapping of keys to values");

    private static string String(YamlNode node, string key) =>
        node is YamlScalarNode { Value: { } v } ? v : throw new ConfigException(key, Line(node), "expected a single value");

    private static string NonEmpty(YamlNode node, string key)
    {
        string v = String(node, key).Trim();
        return v.Length > 0 ? v : throw new ConfigException(key, Line(node), "must not be empty");
    }

    private static IEnumerable<YamlNode> List(YamlNode node, string key) => node switch
    {
        YamlSequenceNode seq => seq.Children.Select(c => c is YamlScalarNode ? c : throw new ConfigException(key, Line(c), "list items must be single values")),
        YamlScalarNode { Value: null or "" } => [],
        YamlScalarNode scalar => [scalar],
        _ => throw new ConfigException(key, Line(node), "expected a value or a list of values"),
    };

    private static double Double(YamlNode node, string key) =>
        double.TryParse(String(node, key), NumberStyles.Float, CultureInfo.InvariantCulture, out double d)
            ? d
            : throw new ConfigException(key, Line(node), $"'{String(node, key)}' is not a number");

    private static int Int(YamlNode node, string key) =>
        int.TryParse(String(node, key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int i)
            ? i
            : throw new ConfigException(key, Line(node), $"'{String(node, key)}' is not an integer");

    private static bool Bool(YamlNode node, string key) => String(node, key).ToUpperInvariant() switch
    {
        "TRUE" or "YES" or "ON" => true,
        "FALSE" or "NO" or "OFF" => false,
        _ => throw new ConfigException(key, Line(node), $"'{String(node, key)}' is not true or false"),
    };
}
