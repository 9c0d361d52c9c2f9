// The wire builders moved to the shared test kit (the HTTP service's tests use them too).
export * from '@callpermit/testing/wire';
