namespace S3Slower.Tests.Faults;

/// <summary>
/// Fault tests run alone: they load the machine on purpose, kill processes, and (with the real collector) trace
/// every process of a name, so other tests' traffic must not mix in and theirs must not see ours.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultsCollection
{
    public const string Name = "Faults";
}
