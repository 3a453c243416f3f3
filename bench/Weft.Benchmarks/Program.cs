using BenchmarkDotNet.Running;

// `dotnet run -c Release --project bench/Weft.Benchmarks -- --filter '*'` prints one table per class.
BenchmarkSwitcher.FromAssembly(typeof(Weft.Benchmarks.HandshakeBenchmarks).Assembly).Run(args);
