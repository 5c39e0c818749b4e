namespace S3Slower.Collector.Transport;

/// <summary>What a collector tells the aggregator about the host it runs on.</summary>
internal static class HostIdentity
{
    private const string BootIdPath = "/proc/sys/kernel/random/boot_id";

    public static string Hostname => Environment.MachineName;

    public static string BootId
    {
        get
        {
            try
            {
                return File.ReadAllText(BootIdPath).Trim();
            }
            catch (IOException)
            {
                return "";
            }
        }
    }
}
