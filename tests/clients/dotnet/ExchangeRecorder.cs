using System.Text.Json;

namespace S3Slower.DotnetClient;

/// <summary>Holds the exchange in flight (the scenario is sequential) and appends finished ones to the timing file.</summary>
internal sealed class ExchangeRecorder(string path)
{
    public Exchange? Current { get; private set; }

    /// <summary>Operation name for the next request, set by the scenario before each SDK call.</summary>
    public string? NextOperation { get; set; }

    public void Begin(Exchange exchange)
    {
        Flush();
        Current = exchange;
    }

    /// <summary>Writes the exchange in flight; call once its response body has been read to the end.</summary>
    public void Flush()
    {
        if (Current is not { } exchange)
        {
            return;
        }

        Current = null;
        exchange.Complete();
        File.AppendAllText(path, JsonSerializer.Serialize(exchange) + "\n");
    }
}
