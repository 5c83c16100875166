using System.IO.Pipelines;

namespace Dsm.Benchmarks.Migration;

/// <summary>A reader and a writer as one end of a link.</summary>
internal sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;

    public PipeWriter Output { get; } = output;
}
