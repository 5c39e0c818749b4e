using System.Runtime.InteropServices;

namespace S3Slower.Collector.Bpf;

/// <summary>Receives one ring-buffer record and the ring position it was written at.</summary>
internal delegate void RingRecordHandler(ulong position, ReadOnlySpan<byte> record);

/// <summary>
/// Reads a BPF ring buffer map directly from its memory mapping, the way libbpf's ring_buffer does, with one
/// difference: reading and releasing are separate. <see cref="Read"/> walks the records the kernel has committed;
/// only <see cref="Release"/> moves the kernel's consumer position, and it may stay behind what was read. Records
/// between the two stay in the (pinned) ring, so a collector killed before its requests were safe on disk leaves them
/// for the next collector, which starts reading at the consumer position.
/// </summary>
internal sealed unsafe class RingBufferReader : IDisposable
{
    // From the kernel's uapi (linux/bpf.h): a record's 8-byte header holds its length and these two flags.
    private const uint BusyBit = 1u << 31;
    private const uint DiscardBit = 1u << 30;
    private const int HeaderSize = 8;

    private readonly int _mapFd;
    private readonly int _epollFd;
    private readonly nuint _pageSize;
    private readonly nuint _dataSize;
    private readonly ulong _mask;
    private readonly nint _consumerPage;
    private readonly nint _producerArea;
    private ulong _readPosition;

    public RingBufferReader(int mapFd, uint ringBytes)
    {
        if (ringBytes == 0 || (ringBytes & (ringBytes - 1)) != 0)
        {
            throw new BpfException($"the ring buffer size {ringBytes} is not a power of two");
        }

        _mapFd = mapFd;
        _pageSize = (nuint)LibC.GetPageSize();
        _dataSize = ringBytes;
        _mask = ringBytes - 1;
        _consumerPage = LibC.MemoryMap(0, _pageSize, LibC.ProtRead | LibC.ProtWrite, LibC.MapShared, mapFd, 0);
        if (_consumerPage == -1)
        {
            throw new BpfException($"cannot map the ring buffer's consumer page: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        // The kernel maps the data area twice in a row, so a record that wraps around the end is contiguous.
        _producerArea = LibC.MemoryMap(0, _pageSize + (2 * _dataSize), LibC.ProtRead, LibC.MapShared, mapFd, (nint)_pageSize);
        if (_producerArea == -1)
        {
            int errno = Marshal.GetLastPInvokeError();
            _ = LibC.MemoryUnmap(_consumerPage, _pageSize);
            throw new BpfException($"cannot map the ring buffer's data: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        // Edge-triggered: the map stays "readable" while released < produced, which is the normal state here when
        // the release lags, so level-triggered waiting would spin; only the kernel's wake-ups should end a wait.
        _epollFd = LibC.EpollCreate(LibC.EpollCloexec);
        var interest = new LibC.EpollEvent { Events = LibC.EpollIn | LibC.EpollEdgeTriggered };
        if (_epollFd < 0 || LibC.EpollControl(_epollFd, LibC.EpollCtlAdd, mapFd, &interest) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (_epollFd >= 0)
            {
                _ = LibC.Close(_epollFd);
            }

            Unmap();
            throw new BpfException($"cannot wait on the ring buffer: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        _readPosition = ReleasedPosition;
    }

    /// <summary>Where the kernel may overwrite up to: every record before it is released.</summary>
    public ulong ReleasedPosition => Volatile.Read(ref *(ulong*)_consumerPage);

    /// <summary>The position after the last record read.</summary>
    public ulong ReadPosition => _readPosition;

    /// <summary>Bytes of ring the kernel can write: its size less what is read or unread but not released.</summary>
    public ulong Size => _dataSize;

    private ulong ProducerPosition => Volatile.Read(ref *(ulong*)_producerArea);

    /// <summary>Sleeps until the kernel signals new data (it does so only when the ring fills up) or the timeout.</summary>
    public void Wait(int timeoutMs)
    {
        LibC.EpollEvent ready;
        _ = LibC.EpollWait(_epollFd, &ready, 1, timeoutMs);
    }

    /// <summary>Hands every committed, not discarded record after <see cref="ReadPosition"/> to the handler.</summary>
    /// <returns>How many records were handed over.</returns>
    public int Read(RingRecordHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        byte* data = (byte*)_producerArea + _pageSize;
        int count = 0;
        ulong position = _readPosition;
        ulong producer = ProducerPosition;
        while (position < producer)
        {
            uint* header = (uint*)(data + (position & _mask));
            uint length = Volatile.Read(ref *header);
            if ((length & BusyBit) != 0)
            {
                break; // reserved but not yet submitted: records after it wait for it
            }

            uint payload = length & ~(BusyBit | DiscardBit);
            ulong start = position;
            position += (HeaderSize + payload + 7u) & ~7u;
            if ((length & DiscardBit) == 0)
            {
                _readPosition = position;
                handler(start, new ReadOnlySpan<byte>(header + 2, (int)payload));
                count++;
            }

            if (position == producer)
            {
                producer = ProducerPosition;
            }
        }

        _readPosition = position;
        return count;
    }

    /// <summary>Lets the kernel reuse the ring up to <paramref name="position"/> (never beyond what was read, never back).</summary>
    public void Release(ulong position)
    {
        position = Math.Min(position, _readPosition);
        if (position > ReleasedPosition)
        {
            Volatile.Write(ref *(ulong*)_consumerPage, position);
        }
    }

    public void Dispose()
    {
        Unmap();
        if (_epollFd >= 0)
        {
            _ = LibC.Close(_epollFd);
        }
    }

    private void Unmap()
    {
        _ = LibC.MemoryUnmap(_producerArea, _pageSize + (2 * _dataSize));
        _ = LibC.MemoryUnmap(_consumerPage, _pageSize);
    }

    /// <summary>The kernel id of the map: with the boot id it tells whether a ring position of an earlier collector means anything here.</summary>
    public uint MapId()
    {
        const int InfoBytes = 80; // struct bpf_map_info up to and including map_flags; the id is its second field
        byte* info = stackalloc byte[InfoBytes];
        new Span<byte>(info, InfoBytes).Clear();
        uint length = InfoBytes;
        return Libbpf.ObjectGetInfoByFd(_mapFd, info, &length) == 0 ? *(uint*)(info + sizeof(uint)) : 0;
    }
}
