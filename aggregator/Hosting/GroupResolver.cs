using System.Globalization;

namespace S3Slower.Aggregator.Hosting;

/// <summary>Group name (or number) to gid, from /etc/group: no libc call needed for a lookup done once at start.</summary>
public static class GroupResolver
{
    public static uint? Resolve(string? group, string groupFile = "/etc/group")
    {
        if (string.IsNullOrEmpty(group))
        {
            return null;
        }

        if (uint.TryParse(group, NumberStyles.None, CultureInfo.InvariantCulture, out uint gid))
        {
            return gid;
        }

        if (File.Exists(groupFile))
        {
            foreach (string line in File.ReadLines(groupFile))
            {
                string[] fields = line.Split(':');
                if (fields.Length >= 3 && fields[0] == group && uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out gid))
                {
                    return gid;
                }
            }
        }

        throw new Shared.Configuration.ConfigException("allowed_group", null, $"no group named '{group}' in {groupFile}");
    }
}
