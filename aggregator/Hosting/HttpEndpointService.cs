using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using S3Slower.Aggregator.Output;

namespace S3Slower.Aggregator.Hosting;

/// <summary>
/// The HTTP endpoint of the prometheus driver: <c>/metrics</c>, <c>/healthz</c> and <c>/api/v1/summary</c> (aggregated
/// statistics, never single requests), nothing else. A separate Kestrel app with exactly one explicit endpoint, so it
/// never adopts sockets passed by systemd (LISTEN_FDS holds the collector socket). Hardened headers and a per-client
/// rate limit, as Podtrace users expect.
/// </summary>
public sealed class HttpEndpointService(
    RunInfo run, CollectorRegistry registry, ExportWriter exports, ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    public const int PermitsPerSecond = 20;

    private WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "s3slower-aggregator", Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(options =>
        {
            options.AddServerHeader = false;
            options.Limits.MaxRequestBodySize = 0;
            options.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            options.Listen(run.Config.Listen.Address, run.Config.Listen.Port);
        });
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers.CacheControl = "no-store";
            headers.ContentSecurityPolicy = "default-src 'none'";
            headers["Referrer-Policy"] = "no-referrer";
            await next(context);
        });
        var limiter = new ClientRateLimiter(PermitsPerSecond, TimeProvider.System);
        app.Use(async (context, next) =>
        {
            if (!limiter.TryAcquire(context.Connection.RemoteIpAddress?.ToString() ?? "unknown"))
            {
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                return;
            }

            await next(context);
        });
        app.MapMetrics("/metrics", registry);
        app.MapGet("/healthz", () => Results.Text("ok\n", "text/plain"));
        app.MapGet("/api/v1/summary", () => Results.Bytes(ReportFiles.ToJsonBytes(exports.Report()), "application/json"));
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            throw new InvalidOperationException($"cannot listen on {run.Config.Listen}: {ex.Message}", ex);
        }

        _app = app;
        loggerFactory.CreateLogger<HttpEndpointService>().LogInformation("Serving /metrics on http://{Listen}", run.Config.Listen);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
