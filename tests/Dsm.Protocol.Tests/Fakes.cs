namespace Dsm.Protocol.Tests;

internal sealed class FirmwareStore(Dictionary<uint, byte[]>? flashByBase = null) : IFirmwareImageStore
{
    public ValueTask<ReadOnlyMemory<byte>?> FindFlashImageAsync(ReadOnlyMemory<byte> buildId, RegionDescriptor region, CancellationToken cancellationToken) =>
        ValueTask.FromResult(flashByBase is not null && flashByBase.TryGetValue(region.Base, out var bytes) ? (ReadOnlyMemory<byte>?)bytes : null);
}

internal sealed class SystemStore : IEmigratedSystemStore
{
    public List<EmigratedSystem> Stored { get; } = [];

    public Func<Task>? Delay { get; init; }

    public Exception? Failure { get; init; }

    public async Task StoreAsync(EmigratedSystem system, CancellationToken cancellationToken)
    {
        if (Delay is not null)
        {
            await Delay();
        }

        if (Failure is not null)
        {
            throw Failure;
        }

        Stored.Add(system);
    }
}

internal sealed class KeyProvider(byte[]? key) : IDeviceKeyProvider
{
    public ValueTask<ReadOnlyMemory<byte>?> FindKeyAsync(ReadOnlyMemory<byte> deviceId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(key is null ? null : (ReadOnlyMemory<byte>?)key);
}
