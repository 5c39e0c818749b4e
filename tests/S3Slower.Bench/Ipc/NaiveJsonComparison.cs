using System.Globalization;

namespace S3Slower.Bench.Ipc;

/// <summary>
/// <c>ingest --naive-json</c>: the aggregator speaks only MessagePack frames, so the naive design is measured as an
/// in-process sender/receiver pair and compared with the same pair running the project's frames.
/// </summary>
internal static class NaiveJsonComparison
{
    public static int Run(int connections, long events)
    {
        Console.WriteLine($"ingest --naive-json: IPC pair only (sender threads → Unix socket → receiver threads in this process, {connections} connections, {events:N0} events).");
        Console.WriteLine("  Measures serialize + send + receive + deserialize; NO aggregation (the real aggregator only speaks MessagePack).");
        IIpcCodec[] codecs = [new MessagePackBatchCodec(), new JsonPerEventCodec()];
        var rates = new double[codecs.Length];
        var cpu = new double[codecs.Length];
        bool ok = true;
        for (int i = 0; i < codecs.Length; i++)
        {
            var (rate, received, cpuPerEvent) = IpcPairBenchmark.Run(codecs[i], connections, events);
            rates[i] = rate;
            cpu[i] = cpuPerEvent;
            ok &= received == events;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {codecs[i].Description}: {rate,12:N0} events/s, {cpuPerEvent,7:N0} ns CPU/event (sender + receiver) ({received:N0} decoded{(received == events ? "" : ", MISMATCH")})"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  RESULT:  MessagePack frames / naive JSON = {rates[0] / rates[1]:0.0}x in events/s, {cpu[1] / cpu[0]:0.0}x less CPU per event"));
        return ok ? 0 : 1;
    }
}
