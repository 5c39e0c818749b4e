using S3Slower.Shared.Configuration;

namespace S3Slower.Tests.Aggregator;

public sealed class ConfigLoaderTests
{
    [Fact]
    public void LegacyExampleLoads()
    {
        const string yaml = """
            # Collection settings
            interval: 5
            min_latency_ms: 0
            debug: false

            # pid: 1234
            prometheus:
              prom_exporter_host: "::"
              prom_exporter_port: 9000
              buffer_size: 1000

            # screen:
            #   table_format: true
            """;
        var c = ConfigLoader.Parse(yaml);
        Assert.Equal(5, c.IntervalSeconds);
        Assert.Equal(0, c.MinLatencyMs);
        Assert.False(c.Debug);
        Assert.Equal(new ListenEndpoint("::", 9000), c.Listen);
        Assert.Equal("[::]:9000", c.Listen.ToString());
    }

    [Fact]
    public void NewKeysLoad()
    {
        const string yaml = """
            interval: 2.5
            min_latency_ms: 100
            pid: [12, 34]
            comm: aws
            driver: [screen, "jsonl,prometheus"]
            output_dir: /var/lib/s3slower
            listen: 127.0.0.1:9100
            socket: /tmp/x.sock
            allowed_group: s3slower
            bucket_labels: true
            redact_keys: hash
            endpoint_suffixes: [.minio.local, s3.example.com]
            max_series: 500
            duration: 30
            screen:
              table_format: false
            """;
        var c = ConfigLoader.Parse(yaml);
        Assert.Equal(2.5, c.IntervalSeconds);
        Assert.Equal(100, c.MinLatencyMs);
        Assert.Equal([12, 34], c.Pids);
        Assert.Equal(["aws"], c.Comms);
        Assert.Equal(OutputDrivers.Screen | OutputDrivers.Jsonl | OutputDrivers.Prometheus, c.Drivers);
        Assert.Equal("/var/lib/s3slower", c.OutputDir);
        Assert.Equal(new ListenEndpoint("127.0.0.1", 9100), c.Listen);
        Assert.Equal("/tmp/x.sock", c.SocketPath);
        Assert.Equal("s3slower", c.AllowedGroup);
        Assert.True(c.BucketLabels);
        Assert.Equal(KeyRedaction.Hash, c.RedactKeys);
        Assert.Equal(["minio.local", "s3.example.com"], c.EndpointSuffixes);
        Assert.Equal(500, c.MaxSeries);
        Assert.Equal(30, c.DurationSeconds);
        Assert.False(c.ScreenTableFormat);
    }

    [Fact]
    public void EmptyFileGivesDefaults()
    {
        var c = ConfigLoader.Parse("");
        Assert.Equal(new S3SlowerConfig(), c);
        Assert.Equal(ListenEndpoint.Default, c.Listen);
    }

    [Theory]
    [InlineData("interval: 5\nintervall: 3\n", "intervall", 2)]
    [InlineData("interval: fast\n", "interval", 1)]
    [InlineData("interval: -1\n", "interval", 1)]
    [InlineData("debug: maybe\n", "debug", 1)]
    [InlineData("prometheus:\n  prom_exporter_port: 70000\n", "prometheus.prom_exporter_port", 2)]
    [InlineData("prometheus:\n  port: 9000\n", "prometheus.port", 2)]
    [InlineData("prometheus:\n  prom_exporter_host: example.com\n", "prometheus.prom_exporter_host", 2)]
    [InlineData("driver: [screen, graphite]\n", "driver", 1)]
    [InlineData("redact_keys: encrypt\n", "redact_keys", 1)]
    [InlineData("listen: 8090\n", "listen", 1)]
    [InlineData("pid: [1, -4]\n", "pid", 1)]
    [InlineData("screen:\n  colour: true\n", "screen.colour", 2)]
    [InlineData("max_series: 0\n", "max_series", 1)]
    public void BadKeysAndValuesNameKeyAndLine(string yaml, string key, int line)
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml, "test.yaml"));
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
        Assert.Contains($"line {line}", ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("test.yaml", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("interval: [5\n")]
    [InlineData("- a\n- b\n")]
    [InlineData("a: b\n---\nc: d\n")]
    public void MalformedYamlIsAConfigException(string yaml) =>
        Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml));

    [Fact]
    public void MissingFileIsAConfigException()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.LoadFile("/nonexistent/s3slower.yaml"));
        Assert.Contains("/nonexistent/s3slower.yaml", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.0.0.0:8090", "0.0.0.0", 8090)]
    [InlineData(":9000", "", 9000)]
    [InlineData("[::1]:8090", "::1", 8090)]
    [InlineData("localhost:1", "localhost", 1)]
    public void ListenParses(string text, string host, int port)
    {
        Assert.True(ListenEndpoint.TryParse(text, out var e, out _));
        Assert.Equal(new ListenEndpoint(host, port), e);
    }

    [Theory]
    [InlineData("")]
    [InlineData("8090")]
    [InlineData("::1:8090")]
    [InlineData("host.example:8090")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:http")]
    public void ListenRejects(string text) => Assert.False(ListenEndpoint.TryParse(text, out _, out _));
}
