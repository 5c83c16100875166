using System.Buffers.Binary;

namespace Dsm.Cli.Tests;

/// <summary>Runs the CLI in-process and captures what it prints.</summary>
internal static class Cli
{
    public static string SelfTestElf => Path.Combine(TestContext.CurrentContext.TestDirectory, "Assets", "selftest.elf");

    public static async Task<(int ExitCode, string Out, string Error)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await CliApp.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    public static async Task<(int ExitCode, string Out, string Error)> RunWithInput(string input, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var context = new CliContext(stdout, stderr, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(input)), BoardRegistry.CreateDefault());
        int code = await CliApp.RunAsync(args, context);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Writes a variant of the self-test image to a temporary file.</summary>
    public static string WriteVariant(string name, Action<byte[]> change)
    {
        var bytes = File.ReadAllBytes(SelfTestElf);
        change(bytes);
        string path = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"{TestContext.CurrentContext.Test.ID}-{name}");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public static void MoveSegment(byte[] elf, int index, uint physicalAddress) =>
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(52 + (32 * index) + 12), physicalAddress);

    /// <summary>No .NET stack trace in the output.</summary>
    public static void AssertNoStackTrace(string text)
    {
        Assert.That(text, Does.Not.Contain("   at ").And.Not.Contain("Exception:").And.Not.Contain("--- End of"));
    }
}
