using System.Security.Cryptography;
using System.Text;
using S3Slower.Shared.Configuration;

namespace S3Slower.Aggregator.Processing;

/// <summary>Applies <c>--redact-keys</c> to object keys before they are written anywhere.</summary>
public sealed class KeyRedactor(KeyRedaction mode)
{
    public const string HashPrefix = "sha256:";

    public KeyRedaction Mode { get; } = mode;

    public string? Redact(string? key)
    {
        if (key is null)
        {
            return null;
        }

        return Mode switch
        {
            KeyRedaction.None => key,
            KeyRedaction.Drop => null,
            _ => Hash(key),
        };
    }

    // A stable, unsalted digest on purpose: the same key must map to the same value across runs and hosts so slow
    // keys can be followed; 16 bytes keep collisions out of reach while keeping lines short.
    private static string Hash(string key)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), digest);
        return HashPrefix + Convert.ToHexStringLower(digest[..16]);
    }
}
