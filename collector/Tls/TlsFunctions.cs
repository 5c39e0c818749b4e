using System.Collections.Frozen;

namespace S3Slower.Collector.Tls;

/// <summary>Symbol names of <see cref="TlsFunction"/> and which way the plaintext flows.</summary>
public static class TlsFunctions
{
    public static readonly FrozenDictionary<string, TlsFunction> BySymbol = new Dictionary<string, TlsFunction>(StringComparer.Ordinal)
    {
        ["SSL_write"] = TlsFunction.SslWrite,
        ["SSL_write_ex"] = TlsFunction.SslWriteEx,
        ["SSL_read"] = TlsFunction.SslRead,
        ["SSL_read_ex"] = TlsFunction.SslReadEx,
        ["gnutls_record_send"] = TlsFunction.GnutlsRecordSend,
        ["gnutls_record_recv"] = TlsFunction.GnutlsRecordRecv,
        ["SSL_free"] = TlsFunction.SslFree,
        ["gnutls_deinit"] = TlsFunction.GnutlsDeinit,
        ["_dl_debug_state"] = TlsFunction.LoaderState,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static IReadOnlyCollection<string> Symbols => BySymbol.Keys;

    /// <summary>True for the functions that move plaintext; a file is a TLS target only if it has one of them.</summary>
    public static bool CarriesPlaintext(TlsFunction function) => function is >= TlsFunction.SslWrite and <= TlsFunction.GnutlsRecordRecv;

    /// <summary>True for the functions that end a stream: an entry probe only.</summary>
    public static bool EndsStream(TlsFunction function) => function is TlsFunction.SslFree or TlsFunction.GnutlsDeinit;

    /// <summary>True for the dynamic loader's hook: the watcher's, not a TLS function.</summary>
    public static bool IsLoaderHook(TlsFunction function) => function is TlsFunction.LoaderState;

    public static bool IsWrite(TlsFunction function) =>
        function is TlsFunction.SslWrite or TlsFunction.SslWriteEx or TlsFunction.GnutlsRecordSend;

    public static string SymbolOf(TlsFunction function) => function switch
    {
        TlsFunction.SslWrite => "SSL_write",
        TlsFunction.SslWriteEx => "SSL_write_ex",
        TlsFunction.SslRead => "SSL_read",
        TlsFunction.SslReadEx => "SSL_read_ex",
        TlsFunction.GnutlsRecordSend => "gnutls_record_send",
        TlsFunction.GnutlsRecordRecv => "gnutls_record_recv",
        TlsFunction.SslFree => "SSL_free",
        TlsFunction.GnutlsDeinit => "gnutls_deinit",
        TlsFunction.LoaderState => "_dl_debug_state",
        _ => throw new ArgumentOutOfRangeException(nameof(function), function, null),
    };
}
