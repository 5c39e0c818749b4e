using Microsoft.Extensions.Logging;
using S3Slower.Aggregator.Classification;
using S3Slower.Shared.Protocol;

namespace S3Slower.Aggregator.Processing;

/// <summary>
/// Removes any credential the collector let through, then classifies the request. Stateless and thread-safe, so the
/// connections run it in parallel, each on the thread that read the batch.
/// </summary>
public sealed class ScrubbingClassifier(S3Classifier classifier, ILogger logger)
{
    public S3Request Classify(RequestEvent e, S3RequestParts parts = S3RequestParts.All) =>
        Classify(e.Method, e.Target, e.Host, e.Headers, parts);

    /// <summary>Classifies a request whose target is not a string; allocates nothing when there is no secret to remove.</summary>
    public S3Request Classify(string method, ReadOnlySpan<char> target, string host, IReadOnlyDictionary<string, string>? headers, S3RequestParts parts)
    {
        if (CredentialScrubber.TryScrubTarget(target, out string? scrubbed))
        {
            target = scrubbed;
        }

        headers = CredentialScrubber.ScrubHeaders(headers);
        try
        {
            return classifier.Classify(method, target, host, headers, parts);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException or IndexOutOfRangeException)
        {
            // The classifier must not throw on odd input; if it does, the request still counts, as Unknown.
            logger.LogDebug(ex, "Classifier failed on {Method} request", method);
            return new S3Request(S3Classifier.Unknown, null, null, null, host, "error");
        }
    }

    /// <summary>Classifies every event of a batch, in order.</summary>
    public S3Request[] ClassifyAll(IReadOnlyList<RequestEvent> events)
    {
        var requests = new S3Request[events.Count];
        for (int i = 0; i < requests.Length; i++)
        {
            requests[i] = Classify(events[i]);
        }

        return requests;
    }
}
