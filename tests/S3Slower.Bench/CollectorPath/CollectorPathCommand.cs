using System.CommandLine;

namespace S3Slower.Bench.CollectorPath;

internal static class CollectorPathCommand
{
    public static Command Create()
    {
        var command = new Command("collector", "The collector's user-space CPU per request, stage by stage, in this process (no kernel, no root)");
        command.SetAction(_ => CollectorPathProfile.Run());
        return command;
    }
}
