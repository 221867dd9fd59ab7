import type { Requester, SignalOptions } from '../http/requester.ts';
import type { User } from '../models.ts';

/** Girder users (`/user`). */
export interface Users {
  /**
   * The user the token belongs to (`GET user/me`).
   * @param options - `signal`
   * @returns the user, or null when anonymous
   * @throws {@link GirderHttpError}, {@link GirderNetworkError}
   */
  me(options?: SignalOptions): Promise<User | null>;
  /**
   * A user document (`GET user/{id}`).
   * @param id - the user id
   * @param options - `signal`
   * @returns the user
   * @throws {@link GirderHttpError} 400 for a malformed or unknown id
   */
  get(id: string, options?: SignalOptions): Promise<User>;
}

/**
 * The users resource over a requester.
 * @param http - the client's requester
 * @returns the resource
 */
export function createUsers(http: Requester): Users {
  return {
    me: (options = {}) => http.get<User | null>('user/me', options),
    get: (id, options = {}) => http.get<User>(`user/${encodeURIComponent(id)}`, options),
  };
}
