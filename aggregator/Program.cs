using System.CommandLine;
using S3Slower.Aggregator.Cli;
using S3Slower.Shared.Configuration;

namespace S3Slower.Aggregator;

internal static class Program
{
    private const int UsageError = 2;

    public static async Task<int> Main(string[] args)
    {
        var parsed = AggregatorCommand.Create().Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                Console.Error.WriteLine($"s3slower-aggregator: {error.Message}");
            }

            Console.Error.WriteLine("try --help");
            return UsageError;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (ConfigException ex)
        {
            Console.Error.WriteLine($"s3slower-aggregator: {ex.Message}");
            return UsageError;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            Console.Error.WriteLine($"s3slower-aggregator: {ex.Message}");
            return 1;
        }
    }
}
