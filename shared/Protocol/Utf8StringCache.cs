using System.Text;

namespace S3Slower.Shared.Protocol;

/// <summary>
/// Returns one string instance per distinct short UTF-8 value (process names, methods, hosts, header names), so a
/// connection does not allocate the same strings for every event. Fixed-size, two ways per value: a collision just
/// replaces a slot, so memory stays bounded whatever the peer sends. Not thread-safe: one per connection.
/// </summary>
internal sealed class Utf8StringCache
{
    private const int Slots = 512;
    private const int MaxCachedBytes = 96;

    private readonly byte[]?[] _keys = new byte[Slots][];
    private readonly string[] _values = new string[Slots];
    private bool _evictSecond;

    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length == 0)
        {
            return "";
        }

        if (utf8.Length > MaxCachedBytes)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        // Two candidate slots per value, so two hot values that clash on one slot do not evict each other forever.
        uint hash = Hash(utf8);
        int first = (int)(hash & (Slots - 1));
        int second = (int)((hash >> 16) & (Slots - 1));
        if (_keys[first] is { } a && utf8.SequenceEqual(a))
        {
            return _values[first];
        }

        if (_keys[second] is { } b && utf8.SequenceEqual(b))
        {
            return _values[second];
        }

        int slot = _keys[first] is null ? first : _keys[second] is null ? second : (_evictSecond = !_evictSecond) ? second : first;
        string value = Encoding.UTF8.GetString(utf8);
        _keys[slot] = utf8.ToArray();
        _values[slot] = value;
        return value;
    }

    // Eight bytes per step, multiply-mixed: the slot only needs the values spread; a clash costs a decode, not correctness.
    private static uint Hash(ReadOnlySpan<byte> utf8)
    {
        ulong hash = (ulong)utf8.Length * 0x9E3779B97F4A7C15;
        while (utf8.Length >= sizeof(ulong))
        {
            hash = (hash ^ System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(utf8)) * 0xFF51AFD7ED558CCD;
            utf8 = utf8[sizeof(ulong)..];
        }

        ulong tail = 0;
        for (int i = 0; i < utf8.Length; i++)
        {
            tail |= (ulong)utf8[i] << (8 * i);
        }

        hash = (hash ^ tail) * 0xC4CEB9FE1A85EC53;
        return (uint)(hash >> 32) ^ (uint)hash;
    }
}
