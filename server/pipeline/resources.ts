/** CPU time and peak resident memory of this process while a run goes. */
export function sampleResources(everyMs = 200) {
  const cpuStart = process.cpuUsage();
  let peakRss = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      const cpu = process.cpuUsage(cpuStart);
      return { cpuMs: Math.round((cpu.user + cpu.system) / 1000), peakRssBytes: BigInt(peakRss) };
    },
  };
}
