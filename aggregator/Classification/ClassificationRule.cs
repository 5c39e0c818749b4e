using System.Text;

namespace S3Slower.Aggregator.Classification;

/// <summary>
/// One row of the S3 API: a method on a level with a sub-resource, and the signals that must be present
/// (all others that tell operations of the same row apart must be absent), naming one operation.
/// </summary>
internal sealed record ClassificationRule(HttpVerb Verb, RequestLevel Level, SubResource SubResource, RequestSignal Required, string Operation)
{
    /// <summary>Human-readable rule, e.g. <c>PUT object ?partNumber&amp;uploadId</c>, built once so classifying allocates nothing.</summary>
    public string Text { get; } = Describe(Verb, Level, SubResource, Required);

    private static readonly (RequestSignal Signal, string Text)[] s_queryOrder =
    [
        (RequestSignal.Id, "id"),
        (RequestSignal.ListType2, "list-type=2"),
        (RequestSignal.PartNumber, "partNumber"),
        (RequestSignal.SelectType2, "select-type=2"),
        (RequestSignal.UploadId, "uploadId"),
    ];

    private static string Describe(HttpVerb verb, RequestLevel level, SubResource subResource, RequestSignal required)
    {
        var text = new StringBuilder();
        text.Append(verb.ToString().ToUpperInvariant()).Append(' ').Append(level.ToString().ToLowerInvariant());
        char separator = '?';
        if (subResource != SubResource.None)
        {
            text.Append(" ?").Append(QueryParameterTable.NameOf(subResource));
            separator = '&';
        }

        foreach ((RequestSignal signal, string name) in s_queryOrder)
        {
            if ((required & signal) != 0)
            {
                text.Append(separator == '?' ? " ?" : "&").Append(name);
                separator = '&';
            }
        }

        if ((required & RequestSignal.CopySource) != 0)
        {
            text.Append(" +x-amz-copy-source");
        }

        if ((required & RequestSignal.FormUpload) != 0)
        {
            text.Append(" +multipart/form-data");
        }

        if ((required & RequestSignal.ExpressControlEndpoint) != 0)
        {
            text.Append(" @s3express-control");
        }

        return text.ToString();
    }
}
