// The lab tests share two CPU cores and measure loss under load; running them one at a time keeps
// one test's iperf3 from starving another's handshake.
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]
