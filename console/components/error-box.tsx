/** An API error as a person reads it: the message, then each detail as `path — message`. */
import { isApiError, messageOf } from '../api.js';

export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  const details = isApiError(error) ? error.details : [];
  return (
    <div class="error-box" role="alert">
      {title && <p class="error-title">{title}</p>}
      <p>{messageOf(error)}</p>
      {details.length > 0 && (
        <ul class="error-details">
          {details.map((d, i) => (
            <li key={i}>
              <code>{d.path || '(whole file)'}</code> — {d.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
