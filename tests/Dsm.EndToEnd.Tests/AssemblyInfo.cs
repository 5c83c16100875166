// Each test runs one or two dsm processes; two at a time keep both cores busy without starving them.
[assembly: Parallelizable(ParallelScope.Children)]
[assembly: LevelOfParallelism(2)]
