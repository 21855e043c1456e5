export { CreditChannel } from './credit-channel.js';
