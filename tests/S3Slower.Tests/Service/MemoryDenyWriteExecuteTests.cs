namespace S3Slower.Tests.Service;

/// <summary>
/// The units set MemoryDenyWriteExecute=no because the .NET runtime cannot start under it. This proves it with the
/// kernel's own MDWE (prctl PR_SET_MDWE, which systemd >= 253 applies for that setting): if a future runtime copes,
/// this test fails and the units should turn the protection on.
/// </summary>
public sealed class MemoryDenyWriteExecuteTests
{
    private const int PrSetMdwe = 65;
    private const int PrMdweRefuseExecGain = 1;

    [Fact]
    public void DotnetRuntimeDiesUnderMemoryDenyWriteExecute()
    {
        var control = UnderMdwe("python3", "-c", "print('alive')");
        Assert.True(control.ExitCode == 0 && control.StdOut.Contains("alive"), $"MDWE wrapper broken: {control.Output}");

        string dotnet = ToolRun.Find("dotnet") ?? throw new Xunit.Sdk.XunitException("dotnet not found");
        // --info runs the managed CLI (dotnet.dll), so the runtime and its JIT start; --list-runtimes would stay in native hostfxr.
        var plain = ToolRun.Run(dotnet, ["--info"]);
        Assert.True(plain.ExitCode == 0, plain.Output);

        var guarded = UnderMdwe(dotnet, "--info");

        Assert.NotEqual(0, guarded.ExitCode);
    }

    /// <summary>Runs a program with MDWE set in its process (inherited across exec), through python's ctypes.</summary>
    private static ToolRun UnderMdwe(string program, params string[] args)
    {
        string script =
            "import ctypes, os, sys\n" +
            $"if ctypes.CDLL(None, use_errno=True).prctl({PrSetMdwe}, {PrMdweRefuseExecGain}, 0, 0, 0) != 0:\n" +
            "    sys.exit('PR_SET_MDWE failed: ' + os.strerror(ctypes.get_errno()))\n" +
            "os.execvp(sys.argv[1], sys.argv[1:])\n";
        return ToolRun.Run("python3", ["-c", script, program, .. args], "python3");
    }
}
