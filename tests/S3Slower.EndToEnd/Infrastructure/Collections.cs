namespace S3Slower.EndToEnd.Infrastructure;

/// <summary>Tests that trace real clients share one s3rver pair and one pipeline, and run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class PipelineCollection : ICollectionFixture<S3rverFixture>, ICollectionFixture<PipelineFixture>
{
    public const string Name = "Pipeline";
}

/// <summary>The clients on their own against s3rver (no root needed): proves the harness before the tracer is judged.</summary>
[CollectionDefinition(Name)]
public sealed class ClientsCollection : ICollectionFixture<S3rverFixture>
{
    public const string Name = "Clients";
}
