using System.CommandLine;
using S3Slower.Collector.Cli;
using S3Slower.Shared.Configuration;

namespace S3Slower.Collector;

internal static class Program
{
    private const int UsageError = 2;

    public static async Task<int> Main(string[] args)
    {
        var parsed = CollectorCommand.Create().Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                Console.Error.WriteLine($"s3slower-collector: {error.Message}");
            }

            Console.Error.WriteLine("try --help");
            return UsageError;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex) when (ex is ArgumentException or ConfigException)
        {
            Console.Error.WriteLine($"s3slower-collector: {ex.Message}");
            return UsageError;
        }
        catch (Exception ex) when (ex is Bpf.BpfException or IOException or InvalidOperationException or UnauthorizedAccessException or NotSupportedException or TimeoutException)
        {
            Console.Error.WriteLine($"s3slower-collector: {ex.Message}");
            return 1;
        }
    }
}
