using System.Globalization;
using System.Web;

namespace S3Slower.DotnetClient;

/// <summary>
/// Starts an exchange record for each request the SDK sends and fills in what the response says.
/// For https endpoints the request is passed on as http: <see cref="Connector"/> has already done TLS on the
/// connection, so the timing stream sits above TLS and sees the same plaintext the tracer sees in SSL_read/SSL_write.
/// </summary>
internal sealed class TimingHandler(ExchangeRecorder recorder, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("request without a URI");
        var segments = uri.AbsolutePath.TrimStart('/').Split('/', 2);
        var query = HttpUtility.ParseQueryString(uri.Query);
        var content = request.Content?.Headers;
        var decoded = request.Headers.TryGetValues("x-amz-decoded-content-length", out var values)
            ? long.Parse(values.First(), CultureInfo.InvariantCulture)
            : (long?)null;
        recorder.Begin(new Exchange
        {
            Operation = recorder.NextOperation,
            Method = request.Method.Method,
            Bucket = segments[0].Length > 0 ? Uri.UnescapeDataString(segments[0]) : null,
            Key = segments.Length > 1 && segments[1].Length > 0 ? Uri.UnescapeDataString(segments[1]) : null,
            PartNumber = int.TryParse(query["partNumber"], CultureInfo.InvariantCulture, out var part) ? part : null,
            RequestBytes = content?.ContentLength ?? 0,
            ObjectBytes = decoded,
        });
        if (uri.Scheme == Uri.UriSchemeHttps)
        {
            request.RequestUri = new UriBuilder(uri) { Scheme = Uri.UriSchemeHttp, Port = uri.Port }.Uri;
            request.Headers.Host = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";
        }

        var response = await base.SendAsync(request, cancellationToken);
        var exchange = recorder.Current!;
        exchange.Status = (int)response.StatusCode;
        exchange.RequestId = response.Headers.TryGetValues("x-amz-request-id", out var ids) ? ids.First() : null;
        exchange.ResponseBytes = request.Method == HttpMethod.Head || exchange.Status is 204 or 304
            ? 0
            : response.Content.Headers.ContentLength;
        return response;
    }
}
