// One collection at a time: the traced clients' timings are compared with the tracer's to within 200 µs, and the
// untraced client scenarios of the other collection, run alongside, kept both cores busy enough that a traced curl's
// own stamps and the tracer's drifted apart by 4 and 13 ms, in both attempts of one CI run (2026-12-01).
[assembly: CollectionBehavior(DisableTestParallelization = true)]

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
