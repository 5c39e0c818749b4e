namespace S3Slower.Aggregator.Classification;

/// <summary>What a known query parameter name means: a sub-resource, or a signal that tells operations apart.</summary>
internal readonly record struct QueryParameter(string Name, SubResource SubResource, RequestSignal Signal);
