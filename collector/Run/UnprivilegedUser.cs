using System.Diagnostics;
using System.Globalization;

namespace S3Slower.Collector.Run;

/// <summary>The account `run` starts the aggregator as: the user behind sudo, else nobody.</summary>
public sealed record UnprivilegedUser(string Name, uint Uid, uint Gid)
{
    private const string Fallback = "nobody";

    public static UnprivilegedUser Resolve()
    {
        string? sudoUser = Environment.GetEnvironmentVariable("SUDO_USER");
        string name = string.IsNullOrEmpty(sudoUser) || sudoUser == "root" ? Fallback : sudoUser;
        return new UnprivilegedUser(name, Id("-u", name), Id("-g", name));
    }

    private static uint Id(string flag, string user)
    {
        using var id = Process.Start(new ProcessStartInfo("id", [flag, user]) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException("cannot run id");
        string output = id.StandardOutput.ReadToEnd().Trim();
        id.WaitForExit();
        if (id.ExitCode != 0 || !uint.TryParse(output, NumberStyles.None, CultureInfo.InvariantCulture, out uint value))
        {
            throw new InvalidOperationException($"user '{user}' does not exist on this host");
        }

        return value;
    }
}
