using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;

namespace S3Slower.Aggregator.Hosting;

/// <summary>SIGUSR1 writes the exports now, without stopping, as the spine issue asks.</summary>
public sealed class ExportSignalService(ExportWriter exports) : IHostedService, IDisposable
{
    private const int SigUsr1 = 10;
    private PosixSignalRegistration? _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = PosixSignalRegistration.Create((PosixSignal)SigUsr1, context =>
        {
            context.Cancel = true;
            _ = Task.Run(() => exports.WriteExports("SIGUSR1"));
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _registration?.Dispose();
}
