using Dsm.Emulation.CortexM3.Cpu;

namespace Dsm.Emulation.CortexM3.Tests.Cpu;

public class CodeCacheTests
{
    [Test]
    public void StoreOverTheNextInstructionOfTheRunningBlockTakesEffect()
    {
        // strh r1, [r2]; movs r0, #1 -- the STRH replaces the MOVS with "movs r0, #5" before it runs.
        var t = new TestCore().Code(0x8011, 0x2001, 0xBE00).With(1, 0x2005).With(2, 2);
        Assert.That(t.Run(10), Is.EqualTo(StopReason.Breakpoint));
        Assert.That(t[0], Is.EqualTo(5u));
    }

    [Test]
    public void RewrittenLoopBodyRunsTheNewCode()
    {
        // loop: adds r0, r0, r1; subs r3, #1; bne loop; bkpt
        var t = new TestCore().Code(0x1840, 0x3B01, 0xD1FC, 0xBE00).With(1, 1).With(3, 3);
        Assert.That(t.Run(100), Is.EqualTo(StopReason.Breakpoint));
        Assert.That(t[0], Is.EqualTo(3u));

        // Guest code at 0x100 rewrites "adds r0, r0, r1" into "subs r0, r0, r1" (0x1A40): strh r1, [r2]; bkpt
        t.CodeAt(0x100, 0x8011, 0xBE00).With(1, 0x1A40).With(2, 0);
        Assert.That(t.Run(5), Is.EqualTo(StopReason.Breakpoint));

        t.With(0, 10).With(1, 1).With(3, 3);
        t.Cpu.Pc = 0;
        Assert.That(t.Run(100), Is.EqualTo(StopReason.Breakpoint));
        Assert.That(t[0], Is.EqualTo(7u));
    }

    [Test]
    public void CodeCopiedToRamAndExecutedIsDecodedFresh()
    {
        // Run "movs r0, #1; bkpt" at 0x400; then the guest stores "movs r0, #5; bkpt" over it with one word store.
        var t = new TestCore().CodeAt(0x400, 0x2001, 0xBE00);
        Assert.That(t.Run(5), Is.EqualTo(StopReason.Breakpoint));
        Assert.That(t[0], Is.EqualTo(1u));

        t.CodeAt(0x200, 0x6011, 0xE0FD).With(1, 0xBE00_2005).With(2, 0x400); // str r1, [r2]; b 0x400
        Assert.That(t.Run(5), Is.EqualTo(StopReason.Breakpoint));
        Assert.That((t[0], t.Cpu.Pc), Is.EqualTo((5u, 0x402u)));
    }

    [Test]
    public void IndirectBranchToRewrittenCodeRunsTheNewCode()
    {
        // "movs r0, #1; bkpt" at 0x400 runs first, so the core's table of recent blocks holds it.
        var t = new TestCore().CodeAt(0x400, 0x2001, 0xBE00);
        Assert.That(t.Run(5), Is.EqualTo(StopReason.Breakpoint));
        Assert.That(t[0], Is.EqualTo(1u));

        // The host rewrites it to "movs r0, #5"; then "bx r3" at 0x200 jumps there without a chained successor.
        t.Place(0x400, 0x2005, 0xBE00);
        t.CodeAt(0x200, 0x4718).With(3, 0x401);
        Assert.That(t.Run(5), Is.EqualTo(StopReason.Breakpoint));
        Assert.That((t[0], t.Cpu.Pc), Is.EqualTo((5u, 0x402u)));

        // After a cache clear the same jump decodes afresh.
        t.Cpu.InvalidateCodeCache();
        t.Place(0x400, 0x2007, 0xBE00);
        t.Cpu.Pc = 0x200;
        Assert.That(t.Run(5), Is.EqualTo(StopReason.Breakpoint));
        Assert.That(t[0], Is.EqualTo(7u));
    }

    [Test]
    public void BlockRunsOnThroughAnUnconditionalBranchAndIsDroppedWhenItsTargetIsRewritten()
    {
        // 0x400: movs r0, #1; b 0x200 -- 0x200: adds r0, #2; bkpt. One block, its second part on an earlier code page.
        var t = new TestCore();
        t.Place(0x200, 0x3002, 0xBE00);
        t.CodeAt(0x400, 0x2001, 0xE6FD);
        Assert.That(t.Run(10), Is.EqualTo(StopReason.Breakpoint));
        Assert.That((t[0], t.Cpu.Pc, t.Cpu.Instructions), Is.EqualTo((3u, 0x202u, 3ul)));
        var block = t.Cpu.CodeCache.Lookup(0x400);
        Assert.That((block.Count, block.Instructions[1].Op), Is.EqualTo((4, Op.BFollowed)));

        // Guest code at 0x600 rewrites "adds r0, #2" into "adds r0, #5": strh r1, [r2]; bkpt.
        t.CodeAt(0x600, 0x8011, 0xBE00).With(1, 0x3005).With(2, 0x200);
        Assert.That(t.Run(5), Is.EqualTo(StopReason.Breakpoint));
        Assert.That(block.IsValid, Is.False);

        t.Cpu.Pc = 0x400;
        Assert.That(t.Run(10), Is.EqualTo(StopReason.Breakpoint));
        Assert.That(t[0], Is.EqualTo(6u));
    }

    [Test]
    public void InvalidationIsPreciseToTheInstructionBytes()
    {
        // Code at 0x100; data stored at 0x180 shares the 256-byte page but no instruction.
        var t = new TestCore().CodeAt(0x100, 0x6011, 0x6011, 0xBE00).With(1, 7).With(2, 0x180); // str r1, [r2]; str r1, [r2]; bkpt
        Assert.That(t.Run(10), Is.EqualTo(StopReason.Breakpoint));
        Assert.That(t.Cpu.CodeCache.BlocksInvalidated, Is.EqualTo(0));

        t.Cpu.Pc = 0x100;
        t.With(1, 0xBE00_BE00).With(2, 0x104); // now the stores rewrite the running block's BKPT (with BKPTs)
        Assert.That(t.Run(10), Is.EqualTo(StopReason.Breakpoint));
        Assert.That(t.Cpu.CodeCache.BlocksInvalidated, Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public void HostLoadInvalidatesDecodedCode()
    {
        var t = new TestCore().Code(0x2001, 0xBE00);
        t.Run(5);
        t.Place(0, 0x2009);
        t.Cpu.Pc = 0;
        t.Run(5);
        Assert.That(t[0], Is.EqualTo(9u));
    }

    [Test]
    public void BlocksAreDecodedOnceAndReused()
    {
        // movs r0, #100; loop: adds r1, #3; subs r0, #1; bne loop; bkpt #0
        var t = new TestCore().Code(0x2064, 0x3103, 0x3801, 0xD1FC, 0xBE00);
        t.Run(1000);
        Assert.That(t.Cpu.CodeCache.BlocksDecoded, Is.LessThanOrEqualTo(3));
    }

    [Test]
    public void InvalidateCodeCacheForcesRedecoding()
    {
        var t = new TestCore().Code(0x2001, 0xBE00);
        t.Run(5);
        long decoded = t.Cpu.CodeCache.BlocksDecoded;
        t.Cpu.InvalidateCodeCache();
        t.Cpu.Pc = 0;
        t.Run(5);
        Assert.That(t.Cpu.CodeCache.BlocksDecoded, Is.EqualTo(decoded + 1));
    }

    [Test]
    public void CodeRunsFromRomAndAcrossRegions()
    {
        var t = new TestCore();
        t.Bus.AddRom("flash", 0x0800_0000, 0x1000);
        t.Bus.Load(0x0800_0000, [0x05, 0x20, 0x00, 0xBE]); // movs r0, #5; bkpt
        t.Cpu.Pc = 0x0800_0000;
        Assert.That(t.Run(5), Is.EqualTo(StopReason.Breakpoint));
        Assert.That(t[0], Is.EqualTo(5u));
    }
}
