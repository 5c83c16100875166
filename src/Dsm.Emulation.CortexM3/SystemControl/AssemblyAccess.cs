using System.Runtime.CompilerServices;

// The system-control tests check internal register plumbing directly.
[assembly: InternalsVisibleTo("Dsm.Emulation.SystemControl.Tests")]
