using System.CommandLine;
using System.Runtime.InteropServices;
using S3Slower.Collector.Cli;
using S3Slower.Shared.Configuration;

namespace S3Slower.Collector;

internal static class Program
{
    private const int UsageError = 2;

    private static CancellationTokenSource? s_stop;

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

        // Stopping must drain the spool to the aggregator, which can take longer than System.CommandLine's
        // two-second termination grace; so SIGINT/SIGTERM only cancel, and the collector exits when drained.
        using var stop = new CancellationTokenSource();
        s_stop = stop;
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnStopSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnStopSignal);
        try
        {
            return await parsed.InvokeAsync(
                new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null },
                stop.Token);
        }
        catch (Exception ex) when (ex is ArgumentException or ConfigException)
        {
            Console.Error.WriteLine($"s3slower-collector: {ex.Message}");
            return UsageError;
        }
        catch (Exception ex) when (ex is Bpf.BpfException or Tls.TlsSetupException or IOException or InvalidOperationException or UnauthorizedAccessException or NotSupportedException or TimeoutException)
        {
            Console.Error.WriteLine($"s3slower-collector: {ex.Message}");
            return 1;
        }
    }

    private static void OnStopSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        s_stop?.Cancel();
    }
}
