using Dsm.Cli;
using Dsm.Migration;

namespace Dsm.EndToEnd.Tests;

/// <summary>The pieces the end-to-end tests lean on: trigger syntax, key files, the continuity check.</summary>
public class ParsingTests
{
    [Test]
    public void AtTriggersParse()
    {
        Assert.Multiple(() =>
        {
            Assert.That(DeviceTrigger.Parse("at=100"), Is.EqualTo(new DeviceTrigger.AtInstruction(100, InstantCondition.Any, new DeviceTrigger.BoardDefault())));
            Assert.That(DeviceTrigger.Parse("at=7,when=critical,via=nmi"), Is.EqualTo(new DeviceTrigger.AtInstruction(7, InstantCondition.Critical, new DeviceTrigger.NmiPin())));
            Assert.That(DeviceTrigger.Parse("at=7,when=midline,via=exti=3"), Is.EqualTo(new DeviceTrigger.AtInstruction(7, InstantCondition.MidLine, new DeviceTrigger.ExternalInterrupt(3))));
            var several = (DeviceTrigger.Several)DeviceTrigger.Parse("at=5;at=9,when=isr");
            Assert.That(several.Triggers, Has.Count.EqualTo(2));
            Assert.That(() => DeviceTrigger.Parse("at=x"), Throws.TypeOf<FormatException>());
            Assert.That(() => DeviceTrigger.Parse("at=5,when=sometimes"), Throws.TypeOf<FormatException>());
            Assert.That(() => DeviceTrigger.Parse("at=5,via=at=6"), Throws.TypeOf<FormatException>());
        });
    }

    [Test]
    public async Task KeyFilesMapDeviceIdsToKeys()
    {
        string path = Path.Combine(Scenario.TempDirectory("keyfile"), "keys");
        File.WriteAllText(path, "# comment\n\ndsm-sample-fm3 secret one\n000102030405060708090A0B0C0D0E0F hex:A1B2\n");
        var keys = DeviceKeyFile.Load(path);
        var textId = new byte[16];
        "dsm-sample-fm3"u8.CopyTo(textId);
        var hexId = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        Assert.Multiple(async () =>
        {
            Assert.That(keys.Count, Is.EqualTo(2));
            Assert.That((await keys.FindKeyAsync(textId, default))?.ToArray(), Is.EqualTo("secret one"u8.ToArray()));
            Assert.That((await keys.FindKeyAsync(hexId, default))?.ToArray(), Is.EqualTo(new byte[] { 0xA1, 0xB2 }));
            Assert.That(await keys.FindKeyAsync(new byte[16], default), Is.Null);
        });
        File.WriteAllText(path, "device-id-longer-than-16 key\n");
        Assert.That(() => DeviceKeyFile.Load(path), Throws.TypeOf<UsageException>().With.Message.Contains(":1:"));
        File.WriteAllText(path, "dev hex:XY\n");
        Assert.That(() => DeviceKeyFile.Load(path), Throws.TypeOf<UsageException>());
        await Task.CompletedTask;
    }

    [Test]
    public void ContinuityCheckJoinsALineCutByTheMoveAndWatchesTheTickAndTaskC()
    {
        string A(int seq, int tick) => Line($"A seq={seq} tick={tick} rounds={tick - 1} crc=00000000");
        string C(int seq, int count) => Line($"C seq={seq} count={count} gaps=0");
        string cut = A(3, 300);
        Assert.Multiple(() =>
        {
            Assert.That(ContinuityCheck.Evaluate([A(1, 100), A(2, 200), cut[..5]], [cut[5..], A(4, 400)]).Ok, Is.True, "a line cut by the move is whole again");
            Assert.That(ContinuityCheck.Evaluate([A(1, 100), A(2, 200)], [A(3, 350), A(4, 450)]).Detail, Does.Contain("RTOS tick jumps"));
            Assert.That(ContinuityCheck.Evaluate([A(1, 100), C(1, 50)], [A(2, 200), C(3, 150)]).Detail, Does.Contain("task C report sequence jumps"));
            Assert.That(ContinuityCheck.Evaluate([A(1, 100), C(1, 50), C(2, 100)], [A(2, 200), C(3, 160)]).Detail, Does.Contain("task C timer count jumps"));
        });
    }

    private static string Line(string text) => $"{text} sum={Protocol.Crc32.Compute(System.Text.Encoding.ASCII.GetBytes(text)):X8}";
}
