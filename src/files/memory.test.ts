import { conversationKeyString } from '../core/keys.js';
import { runFileStoreConformance } from './conformance.js';
import { createMemoryFileStore } from './memory.js';

runFileStoreConformance({
  name: 'memory',
  async create() {
    const store = createMemoryFileStore();
    return {
      store,
      raw: {
        // The map, by its own key spelling: `<tenant:chat:thread>/<id>`.
        async readBytes(file) {
          return store.state.get(`${conversationKeyString(file.key)}/${file.id}`)?.bytes ?? null;
        },
        async listAll() {
          return [...store.state.keys()];
        },
      },
      async cleanup() {},
    };
  },
});
