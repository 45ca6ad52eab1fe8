/**
 * The console's shell: a view per hash route (`#/orders`, `#/orders/<id>`, `#/outbox`,
 * `#/cdc`, `#/cache`), refreshed once a second from the services' APIs, and the admin token
 * form. Polling keeps it to plain HTTP GETs that any proxy passes and any API serves.
 */
import { token } from './api.js';
import { sample } from './sampler.js';
import { cacheView } from './views/cache.js';
import { cdcView } from './views/cdc.js';
import { orderView } from './views/order.js';
import { ordersView } from './views/orders.js';
import { outboxView } from './views/outbox.js';

const refreshMs = 1_000;

const routes = [
  { pattern: /^#\/orders\/([0-9a-f-]{36})$/, nav: 'orders', view: orderView },
  { pattern: /^#\/outbox$/, nav: 'outbox', view: outboxView },
  { pattern: /^#\/cdc$/, nav: 'cdc', view: cdcView },
  { pattern: /^#\/cache$/, nav: 'cache', view: cacheView },
  { pattern: /^(#\/orders)?$/, nav: 'orders', view: ordersView },
];

const root = document.getElementById('view');
const live = document.getElementById('live');
let current;

function mount() {
  const hash = location.hash === '#/' ? '' : location.hash;
  const route = routes.find((entry) => entry.pattern.test(hash)) ?? routes[routes.length - 1];
  const [, parameter] = route.pattern.exec(hash) ?? [];
  for (const link of document.querySelectorAll('[data-nav]')) {
    link.classList.toggle('active', link.dataset.nav === route.nav);
  }
  root.replaceChildren();
  current = route.view(root, parameter);
}

async function refresh() {
  const view = current;
  try {
    const shared = await sample();
    if (view === current) await view.refresh(shared);
    live.textContent = `live · updated ${new Date().toLocaleTimeString('en-GB', { hour12: false })}`;
    live.className = 'live ok';
  } catch (error) {
    live.textContent = `not updating: ${error.message}`;
    live.className = 'live failing';
  }
}

function tokenForm() {
  const form = document.getElementById('token-form');
  const input = document.getElementById('token');
  const state = document.getElementById('token-state');
  const show = () => (state.textContent = token.get() === '' ? 'none set' : 'token set');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    token.set(input.value.trim());
    input.value = '';
    show();
  });
  show();
}

/** Refreshes now, then a second after each refresh ends (slow answers never pile up). */
async function loop() {
  await refresh();
  setTimeout(() => void loop(), refreshMs);
}

tokenForm();
window.addEventListener('hashchange', () => {
  mount();
  void refresh();
});
mount();
void loop();
