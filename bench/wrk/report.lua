-- The one result line both scripts print (bench/scale.ts reads it): counts and latencies in ms, as JSON.
function done(summary, latency, requests)
  io.write(string.format('WRK {"requests":%d,"seconds":%f,"errors":%d,"non2xx":%d,"p50":%f,"p95":%f,"p99":%f,"max":%f}\n',
    summary.requests, summary.duration / 1e6, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
