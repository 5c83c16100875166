using System.Text;
using Dsm.Protocol;

namespace Dsm.Cli;

/// <summary>
/// Device keys for <c>dsm host --keys FILE</c>: one device a line, <c>DEVICE-ID KEY</c>. The id is 32 hex
/// digits or a text of at most 16 characters (zero-padded, as firmware writes it in dsmc_config_t); the key
/// is <c>hex:</c> followed by hex digits, or the key's text. Blank lines and lines starting with # are skipped.
/// </summary>
internal sealed class DeviceKeyFile : IDeviceKeyProvider
{
    private readonly Dictionary<string, byte[]> _keys;

    private DeviceKeyFile(Dictionary<string, byte[]> keys) => _keys = keys;

    public int Count => _keys.Count;

    public static DeviceKeyFile Load(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--keys '{path}': {ex.Message}");
        }

        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var parts = line.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
            {
                throw new UsageException($"{path}:{n + 1}: expected DEVICE-ID KEY");
            }

            byte[] id = ParseDeviceId(parts[0]) ?? throw new UsageException($"{path}:{n + 1}: device id '{parts[0]}' is neither 32 hex digits nor a text of at most 16 characters");
            byte[] key = ParseKey(parts[1].Trim()) ?? throw new UsageException($"{path}:{n + 1}: the key must be 1 to {ProtocolConstants.MaxKeyLength} bytes (text, or hex: and hex digits)");
            keys[Convert.ToHexString(id)] = key;
        }

        return new DeviceKeyFile(keys);
    }

    public ValueTask<ReadOnlyMemory<byte>?> FindKeyAsync(ReadOnlyMemory<byte> deviceId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_keys.TryGetValue(Convert.ToHexString(deviceId.Span), out var key) ? (ReadOnlyMemory<byte>?)key : null);

    private static byte[]? ParseDeviceId(string text)
    {
        if (text.Length == 32 && text.All(char.IsAsciiHexDigit))
        {
            return Convert.FromHexString(text);
        }

        byte[] ascii = Encoding.ASCII.GetBytes(text);
        if (ascii.Length > 16 || text.Any(c => c > 0x7E))
        {
            return null;
        }

        var id = new byte[16];
        ascii.CopyTo(id, 0);
        return id;
    }

    private static byte[]? ParseKey(string text)
    {
        byte[] key;
        if (text.StartsWith("hex:", StringComparison.Ordinal))
        {
            try
            {
                key = Convert.FromHexString(text[4..]);
            }
            catch (FormatException)
            {
                return null;
            }
        }
        else
        {
            key = Encoding.UTF8.GetBytes(text);
        }

        return key.Length is >= 1 and <= ProtocolConstants.MaxKeyLength ? key : null;
    }
}
