// A minimal MCP server over stdio for the secrets suite: one tool, `dump_env`, that writes the
// server's whole environment (what the agent's child process handed it) as JSON to $DUMP_FILE and
// answers only with the number of variables, so no value reaches the model or the transcript.
const fs = require('node:fs');
const rl = require('node:readline').createInterface({ input: process.stdin });
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

rl.on('line', (line) => {
  let m;
  try {
    m = JSON.parse(line);
  } catch {
    return;
  }
  if (m.id === undefined) return; // notifications
  switch (m.method) {
    case 'initialize':
      return send({
        jsonrpc: '2.0',
        id: m.id,
        result: {
          protocolVersion: m.params.protocolVersion,
          capabilities: { tools: {} },
          serverInfo: { name: 'envdump', version: '1.0.0' },
        },
      });
    case 'tools/list':
      return send({
        jsonrpc: '2.0',
        id: m.id,
        result: {
          tools: [
            {
              name: 'dump_env',
              description: 'Record the environment for a test',
              inputSchema: { type: 'object', properties: {} },
            },
          ],
        },
      });
    case 'tools/call': {
      fs.writeFileSync(process.env.DUMP_FILE, JSON.stringify(process.env));
      const count = Object.keys(process.env).length;
      return send({
        jsonrpc: '2.0',
        id: m.id,
        result: { content: [{ type: 'text', text: `DUMPED ${count} variables` }] },
      });
    }
    default:
      return send({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: 'method not found' } });
  }
});
