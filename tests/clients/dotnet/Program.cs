namespace S3Slower.DotnetClient;

internal static class Program
{
    public static int Main(string[] args) => 0;
}
