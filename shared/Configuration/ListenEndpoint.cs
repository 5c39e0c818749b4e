using System.Globalization;
using System.Net;

namespace S3Slower.Shared.Configuration;

/// <summary>A TCP bind address: <c>HOST:PORT</c>, <c>[v6]:PORT</c> or <c>:PORT</c> (all interfaces).</summary>
public sealed record ListenEndpoint(string Host, int Port)
{
    public static ListenEndpoint Default { get; } = new("0.0.0.0", 8090);

    /// <summary>The address to bind; host names other than <c>localhost</c> are refused rather than resolved.</summary>
    public IPAddress Address => Host switch
    {
        "" or "*" => IPAddress.Any,
        "localhost" => IPAddress.Loopback,
        _ => IPAddress.Parse(Host),
    };

    public static bool TryParse(string? text, out ListenEndpoint? endpoint, out string? error)
    {
        endpoint = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "is empty; expected HOST:PORT, e.g. 127.0.0.1:8090";
            return false;
        }

        text = text.Trim();
        string host;
        string port;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                error = $"'{text}' is not [IPv6]:PORT";
                return false;
            }

            host = text[1..close];
            port = text[(close + 2)..];
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon < 0 || text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                error = $"'{text}' is not HOST:PORT (write IPv6 addresses as [addr]:PORT)";
                return false;
            }

            host = text[..colon];
            port = text[(colon + 1)..];
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p is < 1 or > 65535)
        {
            error = $"port '{port}' is not a number in 1..65535";
            return false;
        }

        if (!TryValidateHost(host, out error))
        {
            return false;
        }

        endpoint = new ListenEndpoint(host, p);
        return true;
    }

    /// <summary>Builds the endpoint from the legacy <c>prometheus.prom_exporter_host</c>/<c>_port</c> pair.</summary>
    public static bool TryFromHostPort(string host, int port, out ListenEndpoint? endpoint, out string? error)
    {
        endpoint = null;
        if (port is < 1 or > 65535)
        {
            error = $"port {port} is not in 1..65535";
            return false;
        }

        if (!TryValidateHost(host, out error))
        {
            return false;
        }

        endpoint = new ListenEndpoint(host, port);
        return true;
    }

    private static bool TryValidateHost(string host, out string? error)
    {
        error = null;
        if (host is "" or "*" or "localhost" || IPAddress.TryParse(host, out _))
        {
            return true;
        }

        error = $"host '{host}' is not an IP address (use 0.0.0.0, ::, 127.0.0.1 or localhost)";
        return false;
    }

    public override string ToString() =>
        Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
