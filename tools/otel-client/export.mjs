// Exports metrics to Strata with the real OpenTelemetry JS SDK and OTLP metric exporters, for the
// integration tests (tests/integration/otlp_client_test.cc). Deterministic: round r (1..rounds)
// records
//   <prefix>.requests       counter        +r {route="/a"}, +2 {route="/b"}  (unit {request})
//   <prefix>.queue.size     up-down counter +3 on odd rounds, -1 on even ones  (unit {item})
//   <prefix>.request.duration histogram   0.05*r and 0.7, buckets [0.1, 0.5, 1]  (unit s)
//   <prefix>.temperature    gauge          20 + r                          (unit Cel)
// with resource attributes service.namespace/name/instance.id and deployment.environment, then
// collects and exports once (cumulative temporality). After each export it prints one JSON line:
//   {"round":r,"ok":true,"time_ms":<the points' timestamp>}  or  {"round":r,"ok":false,"error":...}
// Usage: node export.mjs --transport proto|json|grpc --endpoint URL [--gzip] [--rounds N]
//        [--prefix P] [--service S] [--instance I] [--interval-ms MS] [--stop-on-error]
import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader, AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as GrpcExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';

function parseArgs(argv) {
  const o = {
    transport: 'proto', endpoint: '', gzip: false, rounds: 3, prefix: 'app', service: 'shop',
    instance: 'inst-1', intervalMs: 0, stopOnError: false,
  };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--transport') o.transport = next();
    else if (a === '--endpoint') o.endpoint = next();
    else if (a === '--gzip') o.gzip = true;
    else if (a === '--rounds') o.rounds = Number(next());
    else if (a === '--prefix') o.prefix = next();
    else if (a === '--service') o.service = next();
    else if (a === '--instance') o.instance = next();
    else if (a === '--interval-ms') o.intervalMs = Number(next());
    else if (a === '--stop-on-error') o.stopOnError = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!['proto', 'json', 'grpc'].includes(o.transport)) throw new Error('--transport: proto, json or grpc');
  if (!o.endpoint) throw new Error('--endpoint is required');
  return o;
}

// Collects on demand only; the test decides when each export happens.
class ManualReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  async onForceFlush() {}
  async onShutdown() {}
}

function makeExporter(o) {
  const compression = o.gzip ? 'gzip' : 'none';
  const timeoutMillis = 10000;
  switch (o.transport) {
    case 'proto':
      return new ProtoExporter({ url: `${o.endpoint}/v1/metrics`, compression, timeoutMillis });
    case 'json':
      return new JsonExporter({ url: `${o.endpoint}/v1/metrics`, compression, timeoutMillis });
    default:
      return new GrpcExporter({ url: o.endpoint, compression, timeoutMillis });
  }
}

function exportOnce(exporter, resourceMetrics) {
  return new Promise((resolve) => exporter.export(resourceMetrics, resolve));
}

// The timestamp (ms) of the exported points: every point of one collection shares it.
function pointTimeMs(resourceMetrics) {
  for (const sm of resourceMetrics.scopeMetrics) {
    for (const m of sm.metrics) {
      for (const p of m.dataPoints) return p.endTime[0] * 1000 + Math.floor(p.endTime[1] / 1e6);
    }
  }
  return 0;
}

async function main() {
  const o = parseArgs(process.argv);
  const reader = new ManualReader();
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      'service.namespace': 'strata-test',
      'service.name': o.service,
      'service.instance.id': o.instance,
      'deployment.environment': 'test',
    }),
    readers: [reader],
  });
  metrics.setGlobalMeterProvider(provider);
  const meter = metrics.getMeter('strata-otlp-test', '1.0.0');
  const requests = meter.createCounter(`${o.prefix}.requests`, {
    description: 'Requests served.', unit: '{request}',
  });
  const queue = meter.createUpDownCounter(`${o.prefix}.queue.size`, {
    description: 'Items waiting.', unit: '{item}',
  });
  const duration = meter.createHistogram(`${o.prefix}.request.duration`, {
    description: 'Request latency.', unit: 's',
    advice: { explicitBucketBoundaries: [0.1, 0.5, 1] },
  });
  const temperature = meter.createGauge(`${o.prefix}.temperature`, {
    description: 'Room temperature.', unit: 'Cel',
  });
  const exporter = makeExporter(o);
  let failures = 0;
  for (let r = 1; r <= o.rounds; r++) {
    requests.add(r, { route: '/a' });
    requests.add(2, { route: '/b' });
    queue.add(r % 2 === 1 ? 3 : -1);
    duration.record(0.05 * r, { route: '/a' });
    duration.record(0.7, { route: '/a' });
    temperature.record(20 + r, { room: 'lab' });
    const { resourceMetrics, errors } = await reader.collect();
    if (errors.length > 0) throw new Error(`collect: ${errors}`);
    const result = await exportOnce(exporter, resourceMetrics);
    const line = { round: r, ok: result.code === 0, time_ms: pointTimeMs(resourceMetrics) };
    if (result.code !== 0) {
      line.error = String(result.error && result.error.message ? result.error.message : result.error);
      failures++;
    }
    process.stdout.write(JSON.stringify(line) + '\n');
    if (result.code !== 0 && o.stopOnError) break;
    if (o.intervalMs > 0) await new Promise((res) => setTimeout(res, o.intervalMs));
    else await new Promise((res) => setTimeout(res, 2));  // Distinct millisecond timestamps.
  }
  await exporter.shutdown();
  process.exit(failures === 0 ? 0 : 1);
}

main().catch((e) => {
  process.stderr.write(`export.mjs: ${e && e.stack ? e.stack : e}\n`);
  process.exit(2);
});
