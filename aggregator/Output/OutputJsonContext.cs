using System.Text.Json.Serialization;

namespace S3Slower.Aggregator.Output;

/// <summary>Source-generated JSON for every file and API body the aggregator writes: no reflection, snake_case names.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(OperationRecord))]
[JsonSerializable(typeof(AggregatedReport))]
internal sealed partial class OutputJsonContext : JsonSerializerContext;
